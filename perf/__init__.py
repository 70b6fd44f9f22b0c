"""Load tests of reviewbot against the framework ceiling measured in the same run."""
