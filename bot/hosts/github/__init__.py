"""bot/hosts/github"""
