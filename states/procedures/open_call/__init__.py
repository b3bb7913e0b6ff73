"""open_call"""
