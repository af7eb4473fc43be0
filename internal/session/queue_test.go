package session

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// TestQueueWakesEveryWaiter: one push of n items wakes n waiters, each with
// its own item in order; the end then reaches later callers.
func TestQueueWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue[int]()
		const n = 4
		got := make(chan int, n)
		for range n {
			go func() {
				v, err := q.pop(context.Background())
				if err != nil {
					t.Error(err)
				}
				got <- v
			}()
		}
		synctest.Wait()
		if len(got) != 0 {
			t.Fatal("a waiter returned before anything was pushed")
		}
		if !q.push(1, 2, 3, 4) {
			t.Fatal("push before end failed")
		}
		synctest.Wait()
		sum := 0
		for range n {
			sum += <-got
		}
		if sum != 1+2+3+4 {
			t.Fatalf("waiters took items summing to %d, want 10", sum)
		}
		errEnd := errors.New("ended")
		q.end(errEnd)
		q.end(errors.New("later")) // the first end wins
		if q.push(5) {
			t.Fatal("push after end succeeded")
		}
		for range 2 {
			if _, err := q.pop(context.Background()); err != errEnd {
				t.Fatalf("pop after end = %v, want %v", err, errEnd)
			}
		}
	})
}

// TestQueueItemsBeforeEnd: items pushed before the end are still taken,
// then the end's error.
func TestQueueItemsBeforeEnd(t *testing.T) {
	q := newQueue[string]()
	q.push("a")
	q.end(ErrPathRemoved)
	if v, err := q.pop(context.Background()); v != "a" || err != nil {
		t.Fatalf("pop = %q, %v; want a, nil", v, err)
	}
	if _, err := q.pop(context.Background()); !errors.Is(err, ErrPathRemoved) {
		t.Fatalf("pop = %v, want ErrPathRemoved", err)
	}
}

// TestQueueContext: a waiter whose context ends returns its error and
// leaves the queue usable.
func TestQueueContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue[int]()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := q.pop(ctx)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("pop = %v, want Canceled", err)
		}
		q.push(7)
		if v, err := q.pop(context.Background()); v != 7 || err != nil {
			t.Fatalf("pop = %d, %v", v, err)
		}
	})
}
