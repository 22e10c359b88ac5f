// Package auth verifies HelseID bearer tokens (JWT access tokens signed with
// RS256, PS256 or ES256, keys from a JWKS file or URL), maps their scopes,
// caches verified tokens until they expire and limits each client's request
// rate. It knows nothing of HTTP: callers hand it the Authorization header
// value and turn its *Error into a response (registry/server does that for
// the API and the admin listener).
package auth
