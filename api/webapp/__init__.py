"""The Telegram Mini App (issue 12): a static page under ``/app/`` that signs in with Telegram's
``initData`` and then reads and acts through the REST API, like any other API client.

Nothing here touches data: the page only calls ``/api/v1``; ``routes.mount_webapp`` serves its
three files (``static/``, package data) with headers that keep it from loading anything else.
"""
