// Placeholder replaced below once the conformance runner exists.
