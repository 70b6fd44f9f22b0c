"""bot/hosts/gitea"""
