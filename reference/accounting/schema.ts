// The store's schema, versioned so a later radmfa can migrate a file an earlier one wrote.

export const ACCOUNTING_SCHEMA_VERSION = 1;

export const schemaVersionTable = `
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL,
  applied_at_ms INTEGER NOT NULL
) STRICT`;

/** Statements that take an empty database to version 1. */
export const schemaV1: readonly string[] = [
  `CREATE TABLE accounting_record (
    id INTEGER PRIMARY KEY,
    received_at_ms INTEGER NOT NULL,
    client_address TEXT NOT NULL,
    client_port INTEGER,
    identifier INTEGER NOT NULL,
    request_authenticator BLOB NOT NULL,
    status_type INTEGER NOT NULL,
    nas_ip_address TEXT,
    nas_ipv6_address TEXT,
    nas_identifier TEXT,
    user_name TEXT,
    session_id TEXT,
    unique_session_id TEXT,
    delay_time_s INTEGER,
    session_time_s INTEGER,
    input_octets INTEGER,
    input_gigawords INTEGER,
    output_octets INTEGER,
    output_gigawords INTEGER,
    input_packets INTEGER,
    output_packets INTEGER,
    terminate_cause INTEGER,
    framed_ip_address TEXT,
    attributes_json TEXT NOT NULL,
    natural_key TEXT
  ) STRICT`,
  // A retransmission carries the same Identifier and, the authenticator being an MD5 over the
  // packet (RFC 2866 3), the same Request Authenticator.
  `CREATE UNIQUE INDEX accounting_record_packet
     ON accounting_record (client_address, identifier, request_authenticator)`,
  // NULLs are distinct in a SQLite unique index, so records without a natural key never collide.
  `CREATE UNIQUE INDEX accounting_record_natural ON accounting_record (natural_key)`,
  `CREATE INDEX accounting_record_session ON accounting_record (session_id)`,
  `CREATE INDEX accounting_record_user ON accounting_record (user_name)`,
  `CREATE INDEX accounting_record_received ON accounting_record (received_at_ms)`,
];
