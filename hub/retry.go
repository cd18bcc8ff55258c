package hub

import (
	"context"
	"errors"
	"time"
)

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// errStalled is the cause given when a transfer receives nothing for too long.
var errStalled = errors.New("no data received for too long (stalled connection)")

// retryable reports whether an error is worth another try: network failures,
// stalls and 429/5xx answers; not bad requests, missing files, checksum
// failures or cancellation.
func retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var pe permanentError
	if errors.As(err, &pe) {
		return false
	}
	var he *HubError
	if errors.As(err, &he) {
		return he.retryable()
	}
	if errors.Is(err, context.Canceled) && !errors.Is(err, errStalled) {
		return false
	}
	return true
}

// backoff returns the wait before retry number n (1-based): base, 2·base, 4·base ... capped at 16·base.
func backoff(base time.Duration, n int) time.Duration {
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if n > 5 {
		n = 5
	}
	return base << (n - 1)
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retry calls f up to attempts times while it fails with a retryable error.
func (c *Client) retry(ctx context.Context, attempts int, f func() error) error {
	var err error
	for i := 1; i <= attempts; i++ {
		if err = f(); err == nil || !retryable(ctx, err) || i == attempts {
			break
		}
		c.logger().Debug("hub: retrying", "attempt", i, "err", err)
		if serr := sleepCtx(ctx, backoff(c.RetryWait, i)); serr != nil {
			return err
		}
	}
	var pe permanentError
	if errors.As(err, &pe) {
		return pe.err
	}
	return err
}
