package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const crashDirEnv = "SEEKD_HISTORY_CRASH_DIR"

// TestCrashWriterProcess is the child of TestKilledMidWrite: it appends
// large messages forever, printing "ack N" after each Append returns, until
// it is killed (or 30 s pass). It does nothing in a normal test run.
func TestCrashWriterProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKilledMidWrite")
	}
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	c, err := s.Create(ctx, "crash", "")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("conversation", c.ID)
	pad := strings.Repeat("p", 48<<10) // several pages per commit, so a kill lands mid-write
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if _, err := s.Append(ctx, c.ID, []Message{{Role: "user", Content: fmt.Sprintf("m%d %s", i, pad)}}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ack", i)
	}
	os.Exit(0)
}

// TestKilledMidWrite kills a writing process with SIGKILL at a few points and
// checks that the database opens, passes integrity_check and holds every
// message whose Append had returned.
func TestKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	for round, killAfter := range []int{3, 11, 25} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var id string
		acked := -1
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 2 && f[0] == "conversation" {
				id = f[1]
			}
			if len(f) == 2 && f[0] == "ack" {
				acked, _ = strconv.Atoi(f[1])
				if acked >= killAfter {
					break
				}
			}
			if len(f) > 0 && f[0] == "error" {
				t.Fatalf("round %d: child: %s", round, sc.Text())
			}
		}
		// Kill while the child is (very likely) inside its next commit.
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait() //nolint:errcheck // killed on purpose
		if id == "" || acked < killAfter {
			t.Fatalf("round %d: child stopped early (conversation %q, %d acks)", round, id, acked+1)
		}

		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		var check string
		if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("round %d: integrity_check = %q, %v", round, check, err)
		}
		_, msgs, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(msgs) < acked+1 {
			t.Errorf("round %d: %d messages survived, but %d were acknowledged", round, len(msgs), acked+1)
		}
		for i, m := range msgs {
			if !strings.HasPrefix(m.Content, fmt.Sprintf("m%d ", i)) {
				t.Errorf("round %d: message %d starts %.10q", round, i, m.Content)
			}
		}
		s.Close()
	}
}
