"""Who may open a route: the route table (`admin.routes`) gives each route one of these."""

import enum


class Access(enum.StrEnum):
    PUBLIC = "public"  # the log-in page, invitations, static files
    SIGNED_IN = "signed_in"  # any staff member, observers included (statistics)
    TICKETS = "tickets"  # administrators and street staff; tickets only within their scope
    ADMIN = "admin"  # administrators only
    PROBE = "probe"  # a load balancer's check (/healthz, /readyz): anyone, no session read
