package gate

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestLockReportsCondition(t *testing.T) {
	g := New()
	if g.Lock() {
		t.Fatal("a new gate's condition is set")
	}
	g.Unlock(true)
	if !g.Lock() {
		t.Fatal("Unlock(true) did not set the condition")
	}
	g.Unlock(false)
	if g.LockIfSet() {
		t.Fatal("LockIfSet acquired a gate whose condition is unset")
	}
	g.Set()
	if !g.LockIfSet() {
		t.Fatal("LockIfSet did not acquire a gate Set")
	}
	g.UnlockFunc(func() bool { return false })
	if g.LockIfSet() {
		t.Fatal("UnlockFunc(false) left the condition set")
	}
}

func TestNewLockedIsHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewLocked()
		acquired := false
		go func() {
			g.Lock()
			acquired = true
			g.Unlock(false)
		}()
		synctest.Wait()
		if acquired {
			t.Fatal("Lock acquired a gate NewLocked returned held")
		}
		g.Unlock(false)
		synctest.Wait()
		if !acquired {
			t.Fatal("Lock did not acquire the gate once released")
		}
	})
}

// TestWaitAndLockWaitsForSet: a waiter sleeps through an Unlock(false) and
// wakes at the Unlock(true), then holds the gate.
func TestWaitAndLockWaitsForSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New()
		woke := false
		go func() {
			if err := g.WaitAndLock(context.Background()); err != nil {
				t.Error(err)
				return
			}
			woke = true
			g.Unlock(false)
		}()
		synctest.Wait()
		g.Lock()
		g.Unlock(false)
		synctest.Wait()
		if woke {
			t.Fatal("WaitAndLock returned with the condition unset")
		}
		g.Set()
		synctest.Wait()
		if !woke {
			t.Fatal("WaitAndLock did not return once the condition was set")
		}
		if g.Lock() {
			t.Fatal("the waiter's Unlock(false) left the condition set")
		}
		g.Unlock(false)
	})
}

// TestWaitAndLockContext: an ended context returns its error, at the time
// it ends, and leaves the gate unheld.
func TestWaitAndLockContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := g.WaitAndLock(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitAndLock = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("WaitAndLock returned after %v, want 1s", d)
		}
		g.Lock() // would block forever if the failed wait held the gate
		g.Unlock(false)
	})
}

// TestWaitAndLockPrefersSet: a set condition wins over a context already
// ended, so a waiter whose condition holds is never told to give up.
func TestWaitAndLockPrefersSet(t *testing.T) {
	g := New()
	g.Set()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.WaitAndLock(ctx); err != nil {
		t.Fatalf("WaitAndLock with the condition set = %v", err)
	}
	g.Unlock(false)
}

// TestLevelWakesEveryWaiter: with the condition a level, each waiter that
// leaves it set passes the wake-up on, so all of them run.
func TestLevelWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New()
		const n = 5
		woke := 0
		for range n {
			go func() {
				if err := g.WaitAndLock(context.Background()); err != nil {
					t.Error(err)
					return
				}
				woke++
				g.Unlock(true) // the state stays ready for the others
			}()
		}
		synctest.Wait()
		if woke != 0 {
			t.Fatalf("%d waiters woke before the condition was set", woke)
		}
		g.Set()
		synctest.Wait()
		if woke != n {
			t.Fatalf("%d of %d waiters woke", woke, n)
		}
	})
}

// TestReadyInSelect: a receive from Ready acquires the gate, and a timer in
// the same select still fires while the condition is unset.
func TestReadyInSelect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New()
		timer := time.NewTimer(time.Minute)
		defer timer.Stop()
		select {
		case <-g.Ready():
			t.Fatal("Ready fired with the condition unset")
		case <-timer.C:
		}
		go g.Set()
		select {
		case <-g.Ready():
		case <-time.After(time.Hour):
			t.Fatal("Ready did not fire after Set")
		}
		if g.LockIfSet() {
			t.Fatal("the gate acquired through Ready was not held")
		}
		g.Unlock(false)
	})
}

// TestSetCoalesces: two Sets before a wait wake it once; the bit is one.
func TestSetCoalesces(t *testing.T) {
	g := New()
	g.Set()
	g.Set()
	if !g.LockIfSet() {
		t.Fatal("Set did not set the condition")
	}
	g.Unlock(false)
	if g.LockIfSet() {
		t.Fatal("two Sets left two wake-ups")
	}
}
