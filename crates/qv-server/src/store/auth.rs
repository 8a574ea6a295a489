//! Users, credentials, refresh tokens, API keys, MFA secrets, login failures.
