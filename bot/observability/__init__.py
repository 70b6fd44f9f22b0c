"""bot/observability"""
