"""Texts: the gettext catalogs and the one renderer of cards and notices."""
