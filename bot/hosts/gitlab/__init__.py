"""bot/hosts/gitlab"""
