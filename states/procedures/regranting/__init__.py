"""regranting"""
