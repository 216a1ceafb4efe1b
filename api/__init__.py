"""The REST API and the Mini App (issue 12): a FastAPI app over the same services as the chat.

It sits beside ``handlers`` (the chat) in the layers: it reaches data only through ``services``
and checks every request against the same permission table as the chat commands.
"""
