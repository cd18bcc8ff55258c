package history

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations returns the schema steps in order. Step i brings a database from
// PRAGMA user_version i to i+1; a step is never edited once released, only
// appended to. Times are Unix milliseconds (UTC).
func migrations() []string {
	return []string{
		// 1: conversations and their messages.
		`CREATE TABLE conversations (
			id         TEXT PRIMARY KEY,
			title      TEXT NOT NULL,
			model      TEXT NOT NULL DEFAULT '',
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		);
		CREATE INDEX conversations_by_update ON conversations (updated_at DESC);
		CREATE TABLE messages (
			conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
			seq             INTEGER NOT NULL,
			role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
			content         TEXT NOT NULL,
			reasoning       TEXT NOT NULL DEFAULT '',
			model           TEXT NOT NULL DEFAULT '',
			usage           TEXT,
			tool_calls      TEXT,
			finish_reason   TEXT NOT NULL DEFAULT '',
			reasoning_ms    INTEGER NOT NULL DEFAULT 0,
			generation_ms   INTEGER NOT NULL DEFAULT 0,
			created_at      INTEGER NOT NULL,
			PRIMARY KEY (conversation_id, seq)
		) WITHOUT ROWID;`,
	}
}

// migrate brings the database to the newest schema, one transaction per step,
// each step setting user_version inside its own transaction so a crash leaves
// the database at a whole step. A database written by a newer seekd (a
// user_version past the known steps) is refused rather than guessed at.
func migrate(ctx context.Context, db *sql.DB) error {
	steps := migrations()
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(steps) {
		return fmt.Errorf("schema version %d is newer than this seekd knows (%d): %w", version, len(steps), ErrNewerSchema)
	}
	for v := version; v < len(steps); v++ {
		if err := runStep(ctx, db, v+1, steps[v]); err != nil {
			return err
		}
	}
	return nil
}

// runStep applies one migration and records its version atomically.
func runStep(ctx context.Context, db *sql.DB, version int, stmt string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// Another process may have migrated while this one waited for the lock.
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("migration %d: read schema version: %w", version, err)
	}
	if current >= version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	// PRAGMA takes no bound parameters; version is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return fmt.Errorf("migration %d: set schema version: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}
