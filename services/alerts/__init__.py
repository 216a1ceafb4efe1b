"""E-mail to the admins for critical events: the service (``service``), its SMTP adapter
(``smtp``) and the stuck-outbox check (``outbox_watch``)."""
