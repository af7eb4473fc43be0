package stream

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// TestParallelWriteAtWaitersShareARaise: WriteAt calls waiting for credit
// at different offsets share the stream's gate. One raise that lets two of
// them go wakes both (the first passes the gate on), and leaves the third,
// still beyond the limit, waiting: synctest.Wait returning shows it does
// not spin on a gate left set for nobody. Closing the stream's write side
// releases it.
func TestParallelWriteAtWaitersShareARaise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 10, 0, false)
		at := func(off int64) <-chan result {
			return async(func() (int, error) { return s.str.WriteAt([]byte("hello"), off) })
		}
		first, second, beyond := at(10), at(20), at(50)
		synctest.Wait()
		for _, ch := range []<-chan result{first, second, beyond} {
			if len(ch) != 0 {
				t.Fatalf("a WriteAt past the limit returned: %+v", <-ch)
			}
		}
		s.ctl.UpdateLimit(30)
		synctest.Wait()
		for _, ch := range []<-chan result{first, second} {
			if len(ch) != 1 {
				t.Fatal("a WriteAt the raise to 30 lets go is still waiting: the gate was not passed on")
			}
			if r := <-ch; r.n != 5 || r.err != nil {
				t.Fatalf("WriteAt below 30 = %d, %v", r.n, r.err)
			}
		}
		if len(beyond) != 0 {
			t.Fatalf("WriteAt at 50 returned with a limit of 30: %+v", <-beyond)
		}
		s.ctl.Shutdown(context.Canceled)
		synctest.Wait()
		if len(beyond) != 1 {
			t.Fatal("the session's end did not release the writer beyond the limit")
		}
		if r := <-beyond; r.n != 0 || !errors.Is(r.err, context.Canceled) {
			t.Fatalf("WriteAt at 50 after the end = %d, %v", r.n, r.err)
		}
	})
}

// TestCloseWithSizeWaitsBesideWriters: CloseWithSize waiting for credit for
// the final size, and a Write waiting for credit at the end, wake on the
// same raise; the final size then ends the Write.
func TestCloseWithSizeWaitsBesideWriters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStreamSetup(t, 4, 0, false)
		write := async(func() (int, error) { return s.str.Write([]byte("abcdefgh")) })
		synctest.Wait()
		closed := async(func() (int, error) { return 0, s.str.CloseWithSize(12) })
		synctest.Wait()
		if len(write) != 1 {
			t.Fatal("the final size did not end the Write waiting for credit")
		}
		if r := <-write; r.n != 4 || !errors.Is(r.err, ErrWriteClosed) {
			t.Fatalf("Write = %d, %v; want the 4 bytes of credit and ErrWriteClosed", r.n, r.err)
		}
		if len(closed) != 0 {
			t.Fatal("CloseWithSize(12) returned with a limit of 4")
		}
		s.ctl.UpdateLimit(12)
		synctest.Wait()
		if len(closed) != 1 {
			t.Fatal("CloseWithSize still waits once the credit covers the final size")
		}
		if r := <-closed; r.err != nil {
			t.Fatal(r.err)
		}
	})
}
