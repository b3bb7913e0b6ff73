"""local_initiative"""
