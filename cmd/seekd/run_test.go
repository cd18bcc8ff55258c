package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

const runModel = "../../testdata/distill/tiny-r1-distill-qwen/hf"

// Piped: the prompt on stdin, the reasoning on stderr, the answer on stdout.
func TestRunOneShotPiped(t *testing.T) {
	var out, errb bytes.Buffer
	code := runIO([]string{"run", runModel, "--max-tokens", "12", "--seed", "7"}, strings.NewReader("What is 17*23?"), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// R1-Distill's template opens the reasoning, so the first tokens are
	// reasoning (stderr); the answer line on stdout is at least a newline.
	if errb.Len() == 0 || out.Len() == 0 {
		t.Fatalf("stdout %q, stderr %q", out.String(), errb.String())
	}
	// Same prompt and seed, same answer: a second run prints the same.
	var out2, err2 bytes.Buffer
	runIO([]string{"run", runModel, "--max-tokens", "12", "--seed", "7", "What is 17*23?"}, strings.NewReader(""), &out2, &err2)
	if out2.String() != out.String() || err2.String() != errb.String() {
		t.Fatalf("prompt as an argument differs from stdin:\n%q %q\n%q %q", out.String(), errb.String(), out2.String(), err2.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run"},
		{"run", "/no/such/model", "hi"},
		{"run", runModel, "--think", "maybe", "hi"},
	} {
		if _, errs, code := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d (%s)", args, code, errs)
		}
	}
}

// ptyReader collects what the program writes to the terminal.
type ptyReader struct {
	buf  bytes.Buffer
	data chan []byte
}

func (p *ptyReader) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(p.buf.String(), s) {
		select {
		case d, ok := <-p.data:
			if !ok {
				t.Fatalf("terminal closed while waiting for %q; got:\n%s", s, p.buf.String())
			}
			p.buf.Write(d)
		case <-deadline:
			t.Fatalf("timed out waiting for %q; got:\n%s", s, p.buf.String())
		}
	}
}

// The interactive chat, driven through a pseudo-terminal.
func TestRunInteractive(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	r := &ptyReader{data: make(chan []byte, 64)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				r.data <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				close(r.data)
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- runIO([]string{"run", runModel, "--temperature", "0", "--max-tokens", "6"}, slave, slave, slave)
	}()
	send := func(s string) { io.WriteString(master, s) }
	r.waitFor(t, "is ready")
	r.waitFor(t, ">>> ")
	send("hello\n")
	r.waitFor(t, "Thinking...")
	send("/think off\n")
	r.waitFor(t, "Thinking off.")
	send("/set temperature 0.5\n")
	r.waitFor(t, "Set temperature.")
	send("/set max-tokens 0\n")
	r.waitFor(t, "Set max-tokens.")
	send("/clear\n")
	r.waitFor(t, "Cleared the conversation.")
	send(`"""` + "\nline one\nline two\n" + `"""` + "\n")
	// A long answer, stopped with Ctrl-C: the chat goes on.
	time.Sleep(700 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	r.waitFor(t, "(stopped)")
	send("/nonsense\n")
	r.waitFor(t, "unknown command")
	send("/bye\n")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, r.buf.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("did not leave on /bye:\n%s", r.buf.String())
	}
	slave.Close()
}
