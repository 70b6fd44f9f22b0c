"""The replay simulator, pure: past pull requests against candidate teams, in memory.

- ``history``: the plain records a replay reads (``HistoricPr``) and the window;
- ``engine``: ``Replay`` feeds each PR, in creation order, to the real selection code
  (``bot.core.selection``) and path rules (``bot.core.routing``) and tallies the result;
- ``tally``: per-member counts, open load over time (peak and time-weighted mean);
- ``report``: the figures per team and member, simulated beside actual, and fairness.
"""
