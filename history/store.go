// Package history keeps chat conversations in an embedded SQLite database
// (pure Go, modernc.org/sqlite) inside seekd's data folder.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so every
// committed transaction has been fsynced to the write-ahead log before the
// call that made it returns. WAL with synchronous=NORMAL would also never
// corrupt the file, but a power loss could roll back the last few commits,
// and a message the page was told is saved must stay saved; chat writes are a
// few per answer, so the one fsync per commit costs nothing that matters.
// Each write is one transaction (BEGIN IMMEDIATE, so concurrent writers queue
// on the busy timeout instead of failing on a lock upgrade).
package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the database's file name inside the data folder.
const FileName = "history.db"

// Limits on what one call may store; larger input is rejected with ErrInvalid.
const (
	// MaxTitleRunes is the longest title kept; longer titles are cut.
	MaxTitleRunes = 200
	// MaxContentBytes caps a message's content and its reasoning, each.
	MaxContentBytes = 4 << 20
	// MaxAppend caps the number of messages stored by one call.
	MaxAppend = 1000
	// MaxListLimit caps the conversations returned by one List call.
	MaxListLimit = 500
)

// Errors callers can test for with errors.Is.
var (
	// ErrNotFound means the conversation does not exist.
	ErrNotFound = errors.New("conversation not found")
	// ErrInvalid means the input was rejected (bad role, too large, bad JSON...).
	ErrInvalid = errors.New("invalid input")
	// ErrNewerSchema means the database was written by a newer seekd.
	ErrNewerSchema = errors.New("database from a newer seekd")
)

// Conversation is one chat's metadata.
type Conversation struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Model        string    `json:"model"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	MessageCount int       `json:"message_count"`
}

// Message is one turn of a conversation.
type Message struct {
	// Seq is the message's 0-based position in its conversation (set by the store).
	Seq     int    `json:"seq"`
	Role    string `json:"role"`
	Content string `json:"content"`
	// Reasoning is the model's thinking text (reasoning_content).
	Reasoning string `json:"reasoning,omitempty"`
	// Model is the model that wrote an assistant message.
	Model string `json:"model,omitempty"`
	// Usage is the API's usage object, kept verbatim.
	Usage json.RawMessage `json:"usage,omitempty"`
	// ToolCalls is the API's tool_calls array, kept verbatim.
	ToolCalls json.RawMessage `json:"tool_calls,omitempty"`
	// FinishReason is the API's finish_reason, or "aborted" when the user stopped it.
	FinishReason string `json:"finish_reason,omitempty"`
	// ReasoningMillis is how long the model thought.
	ReasoningMillis int64 `json:"reasoning_ms,omitempty"`
	// GenerationMillis is the time from the first to the last streamed token.
	GenerationMillis int64 `json:"generation_ms,omitempty"`
	// Created is when the store saved the message (set by the store).
	Created time.Time `json:"created"`
}

// ListOptions selects conversations for List.
type ListOptions struct {
	// Query, when not empty, keeps conversations whose title or any message
	// content contains it (case-insensitive for ASCII letters).
	Query string
	// Limit caps the result (default 100, at most MaxListLimit).
	Limit int
}

// Store is an open history database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Open opens (creating if needed) the history database in dir, which is
// created with mode 0700 if missing, and migrates it to the current schema.
func Open(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("history: %w: empty data folder", ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: create data folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("history: %s: %w: '?' in the path", path, ErrInvalid)
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: time.Now}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return migrate(ctx, s.db)
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("history: close %s: %w", s.path, err)
	}
	return nil
}

// Create starts an empty conversation. An empty title becomes "New chat".
func (s *Store) Create(ctx context.Context, title, model string) (Conversation, error) {
	if len(model) > 256 {
		return Conversation{}, fmt.Errorf("history: create: %w: model name longer than 256 bytes", ErrInvalid)
	}
	id, now := newID(), s.now().UnixMilli()
	c := Conversation{ID: id, Title: cleanTitle(title), Model: model,
		Created: time.UnixMilli(now).UTC(), Updated: time.UnixMilli(now).UTC()}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO conversations (id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Title, c.Model, now, now)
	if err != nil {
		return Conversation{}, fmt.Errorf("history: create: %w", err)
	}
	return c, nil
}

// List returns conversations, most recently updated first.
func (s *Store) List(ctx context.Context, opt ListOptions) ([]Conversation, error) {
	limit := opt.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxListLimit)
	pattern := "%" + escapeLike(opt.Query) + "%"
	rows, err := s.db.QueryContext(ctx, `
		SELECT c.id, c.title, c.model, c.created_at, c.updated_at,
		       (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
		FROM conversations c
		WHERE ?1 = '' OR c.title LIKE ?2 ESCAPE '\'
		   OR EXISTS (SELECT 1 FROM messages m
		              WHERE m.conversation_id = c.id AND m.content LIKE ?2 ESCAPE '\')
		ORDER BY c.updated_at DESC, c.created_at DESC, c.id
		LIMIT ?3`, opt.Query, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("history: list: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	return out, nil
}

// Get returns a conversation and its messages in order.
func (s *Store) Get(ctx context.Context, id string) (Conversation, []Message, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("history: get %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	c, err := getConversation(ctx, tx, id)
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("history: get %s: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT seq, role, content, reasoning, model, usage, tool_calls, finish_reason,
		       reasoning_ms, generation_ms, created_at
		FROM messages WHERE conversation_id = ? ORDER BY seq`, id)
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("history: get %s: %w", id, err)
	}
	defer rows.Close()
	msgs := []Message{}
	for rows.Next() {
		var m Message
		var usage, calls sql.NullString
		var created int64
		if err := rows.Scan(&m.Seq, &m.Role, &m.Content, &m.Reasoning, &m.Model, &usage, &calls,
			&m.FinishReason, &m.ReasoningMillis, &m.GenerationMillis, &created); err != nil {
			return Conversation{}, nil, fmt.Errorf("history: get %s: %w", id, err)
		}
		if usage.Valid {
			m.Usage = json.RawMessage(usage.String)
		}
		if calls.Valid {
			m.ToolCalls = json.RawMessage(calls.String)
		}
		m.Created = time.UnixMilli(created).UTC()
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return Conversation{}, nil, fmt.Errorf("history: get %s: %w", id, err)
	}
	c.MessageCount = len(msgs)
	return c, msgs, nil
}

// Rename sets a conversation's title (an empty title becomes "New chat").
func (s *Store) Rename(ctx context.Context, id, title string) (Conversation, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Conversation{}, fmt.Errorf("history: rename %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?`,
		cleanTitle(title), s.now().UnixMilli(), id)
	if err != nil {
		return Conversation{}, fmt.Errorf("history: rename %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Conversation{}, fmt.Errorf("history: rename %s: %w", id, ErrNotFound)
	}
	c, err := getConversation(ctx, tx, id)
	if err != nil {
		return Conversation{}, fmt.Errorf("history: rename %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Conversation{}, fmt.Errorf("history: rename %s: commit: %w", id, err)
	}
	return c, nil
}

// Delete removes a conversation and its messages.
func (s *Store) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("history: delete %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("history: delete %s: %w", id, ErrNotFound)
	}
	return nil
}

// Append adds messages at the end of a conversation and returns them as
// stored (with Seq and Created set). All of them are saved or none.
func (s *Store) Append(ctx context.Context, id string, msgs []Message) ([]Message, error) {
	return s.write(ctx, id, -1, msgs)
}

// Replace drops the messages from position from on (0 <= from <= the number
// of messages) and appends msgs in their place, in one transaction: this is
// how "regenerate" and "edit and resend" rewrite the end of a conversation.
func (s *Store) Replace(ctx context.Context, id string, from int, msgs []Message) ([]Message, error) {
	if from < 0 {
		return nil, fmt.Errorf("history: replace %s: %w: negative position %d", id, ErrInvalid, from)
	}
	return s.write(ctx, id, from, msgs)
}

func (s *Store) write(ctx context.Context, id string, from int, msgs []Message) ([]Message, error) {
	if err := validateMessages(msgs); err != nil {
		return nil, fmt.Errorf("history: append to %s: %w", id, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("history: append to %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := getConversation(ctx, tx, id); err != nil {
		return nil, fmt.Errorf("history: append to %s: %w", id, err)
	}
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ?`, id).Scan(&count); err != nil {
		return nil, fmt.Errorf("history: append to %s: %w", id, err)
	}
	if from > count {
		return nil, fmt.Errorf("history: append to %s: %w: position %d past the %d messages", id, ErrInvalid, from, count)
	}
	if from >= 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE conversation_id = ? AND seq >= ?`, id, from); err != nil {
			return nil, fmt.Errorf("history: append to %s: %w", id, err)
		}
		count = from
	}
	now := s.now().UnixMilli()
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		m.Seq = count + i
		m.Created = time.UnixMilli(now).UTC()
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO messages (conversation_id, seq, role, content, reasoning, model, usage, tool_calls,
			                      finish_reason, reasoning_ms, generation_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, m.Seq, m.Role, m.Content, m.Reasoning, m.Model, nullJSON(m.Usage), nullJSON(m.ToolCalls),
			m.FinishReason, m.ReasoningMillis, m.GenerationMillis, now); err != nil {
			return nil, fmt.Errorf("history: append to %s: message %d: %w", id, m.Seq, err)
		}
		out[i] = m
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = ? WHERE id = ?`, now, id); err != nil {
		return nil, fmt.Errorf("history: append to %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("history: append to %s: commit: %w", id, err)
	}
	return out, nil
}

// validateMessages checks what a client sent before anything is written.
func validateMessages(msgs []Message) error {
	if len(msgs) > MaxAppend {
		return fmt.Errorf("%w: %d messages in one call, at most %d", ErrInvalid, len(msgs), MaxAppend)
	}
	for i, m := range msgs {
		switch {
		case !validRole(m.Role):
			return fmt.Errorf("%w: message %d: role %q is not system, user, assistant or tool", ErrInvalid, i, m.Role)
		case len(m.Content) > MaxContentBytes:
			return fmt.Errorf("%w: message %d: content of %d bytes, at most %d", ErrInvalid, i, len(m.Content), MaxContentBytes)
		case len(m.Reasoning) > MaxContentBytes:
			return fmt.Errorf("%w: message %d: reasoning of %d bytes, at most %d", ErrInvalid, i, len(m.Reasoning), MaxContentBytes)
		case !utf8.ValidString(m.Content) || !utf8.ValidString(m.Reasoning):
			return fmt.Errorf("%w: message %d: text is not valid UTF-8", ErrInvalid, i)
		case len(m.Model) > 256 || len(m.FinishReason) > 64:
			return fmt.Errorf("%w: message %d: model or finish_reason too long", ErrInvalid, i)
		case m.ReasoningMillis < 0 || m.GenerationMillis < 0:
			return fmt.Errorf("%w: message %d: negative duration", ErrInvalid, i)
		}
		for name, raw := range map[string]json.RawMessage{"usage": m.Usage, "tool_calls": m.ToolCalls} {
			if len(raw) > 1<<20 || (len(raw) > 0 && !json.Valid(raw)) {
				return fmt.Errorf("%w: message %d: %s is not valid JSON (or over 1 MiB)", ErrInvalid, i, name)
			}
		}
	}
	return nil
}

// validRole reports whether a message may have this role.
func validRole(r string) bool {
	switch r {
	case "system", "user", "assistant", "tool":
		return true
	}
	return false
}

// querier is what both *sql.DB and *sql.Tx provide.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getConversation(ctx context.Context, q querier, id string) (Conversation, error) {
	row := q.QueryRowContext(ctx, `
		SELECT id, title, model, created_at, updated_at,
		       (SELECT count(*) FROM messages WHERE conversation_id = ?1)
		FROM conversations WHERE id = ?1`, id)
	c, err := scanConversation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	return c, err
}

type scanner interface{ Scan(dest ...any) error }

func scanConversation(r scanner) (Conversation, error) {
	var c Conversation
	var created, updated int64
	if err := r.Scan(&c.ID, &c.Title, &c.Model, &created, &updated, &c.MessageCount); err != nil {
		return Conversation{}, err
	}
	c.Created, c.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return c, nil
}

// newID returns a random 26-character conversation id (130 bits, base32).
func newID() string { return strings.ToLower(rand.Text()) }

// cleanTitle trims a title, replaces control characters and cuts it to MaxTitleRunes.
func cleanTitle(t string) string {
	t = strings.ToValidUTF8(t, "\uFFFD")
	t = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, t)
	t = strings.TrimSpace(t)
	if t == "" {
		return "New chat"
	}
	if utf8.RuneCountInString(t) > MaxTitleRunes {
		t = string([]rune(t)[:MaxTitleRunes])
	}
	return t
}

// escapeLike escapes LIKE's wildcards so a query matches literally.
func escapeLike(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(q)
}

func nullJSON(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}
