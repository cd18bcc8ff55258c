package tensor

import "syscall"

// osYield offers the thread's core to other runnable threads (sched_yield),
// so that a polling thread does not keep a descheduled one waiting when
// other processes share the cores.
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
