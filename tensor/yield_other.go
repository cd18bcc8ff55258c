//go:build !linux

package tensor

import "runtime"

// osYield offers the thread's core to others where the platform allows;
// elsewhere it yields to other goroutines only.
func osYield() { runtime.Gosched() }
