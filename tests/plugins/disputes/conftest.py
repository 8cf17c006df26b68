"""The portal's phone-sized Chromium page, for the module's browser test."""

from tests.portal.conftest import phone  # noqa: F401
