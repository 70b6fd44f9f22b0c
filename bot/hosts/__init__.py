"""bot/hosts"""
