"""small_grant"""
