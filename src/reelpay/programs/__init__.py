"""Monetization programs: eligibility, applications, staff review, enrolment, Creator Rewards."""
