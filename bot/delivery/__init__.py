"""Delivery: the outbox and the sender, addressed to recipients, not to chats."""
