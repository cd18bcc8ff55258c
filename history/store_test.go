package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestDefaultDir(t *testing.T) {
	home := func() (string, error) { return "/home/ann", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos    string
		env     map[string]string
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"linux", nil, home, filepath.Join("/home/ann", ".local", "share", "seekd"), false},
		{"linux", map[string]string{"XDG_DATA_HOME": "/data"}, home, filepath.Join("/data", "seekd"), false},
		{"linux", map[string]string{"XDG_DATA_HOME": "rel"}, home, filepath.Join("/home/ann", ".local", "share", "seekd"), false},
		{"freebsd", nil, home, filepath.Join("/home/ann", ".local", "share", "seekd"), false},
		{"linux", nil, noHome, "", true},
		{"darwin", nil, home, filepath.Join("/home/ann", "Library", "Application Support", "seekd"), false},
		{"windows", map[string]string{"LocalAppData": "/appdata"}, home, filepath.Join("/appdata", "seekd"), false},
		{"windows", nil, home, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			got, err := defaultDir(tt.goos, env(tt.env), tt.home)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("defaultDir(%s, %v) = %q, %v; want %q (error %v)", tt.goos, tt.env, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if d, err := DefaultDir(); err == nil && !filepath.IsAbs(d) {
		t.Errorf("DefaultDir() = %q, not absolute", d)
	}
}

func TestOpenSettings(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"user_version", fmt.Sprint(len(migrations()))},
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
}

func TestRoundTripAndReopen(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	c, err := s.Create(ctx, "  First\nchat  ", "deepseek-r1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "First chat" || c.Model != "deepseek-r1" || len(c.ID) != 26 {
		t.Fatalf("Create = %+v", c)
	}
	usage := json.RawMessage(`{"prompt_tokens":6,"completion_tokens":9,"prompt_cache_hit_tokens":2}`)
	in := []Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "What is 2+2? ü 🙂"},
		{Role: "assistant", Content: "**4**", Reasoning: "2+2=4", Model: "deepseek-r1", Usage: usage,
			FinishReason: "stop", ReasoningMillis: 1200, GenerationMillis: 3400},
	}
	saved, err := s.Append(ctx, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range saved {
		if m.Seq != i || m.Created.IsZero() {
			t.Errorf("saved[%d] seq %d created %v", i, m.Seq, m.Created)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, msgs, err := s2.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Title != c.Title || got.MessageCount != 3 || !got.Created.Equal(c.Created) {
		t.Errorf("Get conversation = %+v, want %+v with 3 messages", got, c)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages after reopen, want 3", len(msgs))
	}
	for i, m := range msgs {
		w := in[i]
		if m.Role != w.Role || m.Content != w.Content || m.Reasoning != w.Reasoning || m.Model != w.Model ||
			m.FinishReason != w.FinishReason || m.ReasoningMillis != w.ReasoningMillis ||
			m.GenerationMillis != w.GenerationMillis || string(m.Usage) != string(w.Usage) || m.Seq != i {
			t.Errorf("message %d = %+v, want %+v", i, m, w)
		}
	}
}

func TestReplace(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, "t", "")
	if _, err := s.Append(ctx, c.ID, []Message{{Role: "user", Content: "a"}, {Role: "assistant", Content: "b"},
		{Role: "user", Content: "c"}, {Role: "assistant", Content: "d"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		from    int
		msgs    []Message
		want    string // contents joined
		wantErr error
	}{
		{"regenerate", 3, []Message{{Role: "assistant", Content: "D"}}, "a b c D", nil},
		{"edit and resend", 2, []Message{{Role: "user", Content: "C"}}, "a b C", nil},
		{"at end is append", 3, []Message{{Role: "assistant", Content: "E"}}, "a b C E", nil},
		{"past end", 9, []Message{{Role: "user", Content: "x"}}, "a b C E", ErrInvalid},
		{"negative", -1, nil, "a b C E", ErrInvalid},
		{"bad message rolls back", 0, []Message{{Role: "user", Content: "x"}, {Role: "robot"}}, "a b C E", ErrInvalid},
		{"truncate all", 0, nil, "", nil},
	}
	for _, tt := range tests {
		_, err := s.Replace(ctx, c.ID, tt.from, tt.msgs)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%s: Replace error %v, want %v", tt.name, err, tt.wantErr)
		}
		_, msgs, err := s.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for i, m := range msgs {
			if m.Seq != i {
				t.Errorf("%s: message %d has seq %d", tt.name, i, m.Seq)
			}
			parts = append(parts, m.Content)
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("%s: contents %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestListSearch(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	clock := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	mk := func(title string, contents ...string) string {
		c, err := s.Create(ctx, title, "m")
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range contents {
			if _, err := s.Append(ctx, c.ID, []Message{{Role: "user", Content: x}}); err != nil {
				t.Fatal(err)
			}
		}
		return c.Title
	}
	mk("Go generics", "how do type parameters work")
	mk("Rust lifetimes", "explain 'a")
	mk("Percent 100%", "50_50 odds")
	mk("Cooking", "a recipe for RISOTTO")

	tests := []struct {
		query string
		limit int
		want  []string
	}{
		{"", 0, []string{"Cooking", "Percent 100%", "Rust lifetimes", "Go generics"}},
		{"", 2, []string{"Cooking", "Percent 100%"}},
		{"go", 0, []string{"Go generics"}},
		{"risotto", 0, []string{"Cooking"}},        // content, case-insensitive
		{"PARAMETERS", 0, []string{"Go generics"}}, // content
		{"%", 0, []string{"Percent 100%"}},         // literal, not a wildcard
		{"0_5", 0, []string{"Percent 100%"}},       // literal underscore
		{"a_b", 0, nil},                            // _ is not "any character"
		{"nothing like this", 0, nil},
	}
	for _, tt := range tests {
		got, err := s.List(ctx, ListOptions{Query: tt.query, Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, c := range got {
			titles = append(titles, c.Title)
		}
		if strings.Join(titles, "|") != strings.Join(tt.want, "|") {
			t.Errorf("List(%q, %d) = %q, want %q", tt.query, tt.limit, titles, tt.want)
		}
	}

	// Appending moves a conversation to the top.
	all, _ := s.List(ctx, ListOptions{})
	last := all[len(all)-1]
	if _, err := s.Append(ctx, last.ID, []Message{{Role: "user", Content: "again"}}); err != nil {
		t.Fatal(err)
	}
	all, _ = s.List(ctx, ListOptions{})
	if all[0].ID != last.ID || all[0].MessageCount != 2 {
		t.Errorf("after append, first = %+v, want %s with 2 messages", all[0], last.ID)
	}
}

func TestRenameDelete(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, "", "")
	if c.Title != "New chat" {
		t.Errorf("empty title became %q", c.Title)
	}
	r, err := s.Rename(ctx, c.ID, strings.Repeat("é", MaxTitleRunes+10))
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != strings.Repeat("é", MaxTitleRunes) {
		t.Errorf("long title not cut to %d runes: %d", MaxTitleRunes, len([]rune(r.Title)))
	}
	if _, err := s.Append(ctx, c.ID, []Message{{Role: "user", Content: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d messages left after delete (err %v); cascade failed", n, err)
	}
	for name, err := range map[string]error{
		"get":     func() error { _, _, err := s.Get(ctx, c.ID); return err }(),
		"rename":  func() error { _, err := s.Rename(ctx, c.ID, "x"); return err }(),
		"delete":  s.Delete(ctx, c.ID),
		"append":  func() error { _, err := s.Append(ctx, c.ID, nil); return err }(),
		"replace": func() error { _, err := s.Replace(ctx, c.ID, 0, nil); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a deleted conversation: %v, want ErrNotFound", name, err)
		}
	}
}

func TestValidation(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	c, _ := s.Create(ctx, "v", "")
	big := strings.Repeat("x", MaxContentBytes+1)
	tests := []struct {
		name string
		msg  Message
	}{
		{"bad role", Message{Role: "robot", Content: "x"}},
		{"empty role", Message{Content: "x"}},
		{"content too large", Message{Role: "user", Content: big}},
		{"reasoning too large", Message{Role: "assistant", Reasoning: big}},
		{"invalid utf-8", Message{Role: "user", Content: "\xff\xfe"}},
		{"bad usage json", Message{Role: "assistant", Usage: json.RawMessage(`{"a":`)}},
		{"bad tool calls json", Message{Role: "assistant", ToolCalls: json.RawMessage(`[1,`)}},
		{"negative duration", Message{Role: "assistant", GenerationMillis: -1}},
		{"long model", Message{Role: "assistant", Model: strings.Repeat("m", 300)}},
	}
	for _, tt := range tests {
		if _, err := s.Append(ctx, c.ID, []Message{{Role: "user", Content: "ok"}, tt.msg}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Append error %v, want ErrInvalid", tt.name, err)
		}
	}
	if _, msgs, _ := s.Get(ctx, c.ID); len(msgs) != 0 {
		t.Errorf("%d messages stored by rejected calls", len(msgs))
	}
	if _, err := s.Append(ctx, c.ID, make([]Message, MaxAppend+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("too many messages: %v, want ErrInvalid", err)
	}
	if _, err := s.Create(ctx, "x", strings.Repeat("m", 300)); !errors.Is(err, ErrInvalid) {
		t.Errorf("long model in Create: %v, want ErrInvalid", err)
	}
	if _, err := Open(ctx, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open(\"\"): %v, want ErrInvalid", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, dir := openTemp(t)
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), dir); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a version-99 database: %v, want ErrNewerSchema", err)
	}
}

// TestConcurrentWrites appends from many goroutines through two Stores on
// the same file (as two processes would): every acknowledged message must be
// there exactly once, with dense sequence numbers.
func TestConcurrentWrites(t *testing.T) {
	s1, dir := openTemp(t)
	ctx := context.Background()
	s2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	shared, _ := s1.Create(ctx, "shared", "")
	const writers, each = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		st := []*Store{s1, s2}[w%2]
		wg.Go(func() {
			own, err := st.Create(ctx, fmt.Sprintf("own %d", w), "")
			if err != nil {
				errs <- err
				return
			}
			for i := range each {
				msg := []Message{{Role: "user", Content: fmt.Sprintf("w%d-%d", w, i)}}
				if _, err := st.Append(ctx, shared.ID, msg); err != nil {
					errs <- err
				}
				if _, err := st.Append(ctx, own.ID, msg); err != nil {
					errs <- err
				}
				if _, err := st.List(ctx, ListOptions{Query: "w1"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, msgs, err := s2.Get(ctx, shared.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != i {
			t.Errorf("message %d has seq %d", i, m.Seq)
		}
		if seen[m.Content] {
			t.Errorf("duplicate %q", m.Content)
		}
		seen[m.Content] = true
	}
	if len(msgs) != writers*each {
		t.Errorf("%d messages, want %d", len(msgs), writers*each)
	}
	list, _ := s1.List(ctx, ListOptions{})
	if len(list) != writers+1 {
		t.Errorf("%d conversations, want %d", len(list), writers+1)
	}
}
