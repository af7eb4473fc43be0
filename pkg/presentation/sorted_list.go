package presentation

import "slices"

// blockCap is the most elements one block of a sortedList holds.
const blockCap = 64

// sortedList is an ordered sequence stored as a list of small blocks.
// Finding an element is two binary searches (O(log n)); inserting or removing
// one moves at most blockCap elements, plus the block headers when a block
// splits or empties. A plain sorted slice would move half the elements on
// every insert, which dominates when thousands of pieces are out of order.
type sortedList[T any] struct {
	blocks [][]T
	n      int
	spare  [][]T // emptied blocks kept for reuse, so steady state does not allocate
}

// cursor addresses one element of a sortedList, or its end when b equals
// the number of blocks.
type cursor struct{ b, i int }

func (l *sortedList[T]) len() int { return l.n }

func (l *sortedList[T]) valid(c cursor) bool { return c.b < len(l.blocks) }

func (l *sortedList[T]) at(c cursor) *T { return &l.blocks[c.b][c.i] }

func (l *sortedList[T]) next(c cursor) cursor {
	c.i++
	if c.i == len(l.blocks[c.b]) {
		return cursor{c.b + 1, 0}
	}
	return c
}

// prev returns the cursor of the element before c, if there is one.
func (l *sortedList[T]) prev(c cursor) (cursor, bool) {
	switch {
	case c.i > 0:
		return cursor{c.b, c.i - 1}, true
	case c.b > 0:
		return cursor{c.b - 1, len(l.blocks[c.b-1]) - 1}, true
	}
	return c, false
}

// first returns the smallest element, or nil.
func (l *sortedList[T]) first() *T {
	if l.n == 0 {
		return nil
	}
	return &l.blocks[0][0]
}

// last returns the largest element, or nil.
func (l *sortedList[T]) last() *T {
	if l.n == 0 {
		return nil
	}
	b := l.blocks[len(l.blocks)-1]
	return &b[len(b)-1]
}

// search returns the first element for which after is true; after must be
// false for a prefix of the list and true for the rest. Two binary
// searches: over the blocks' last elements, then inside one block.
func (l *sortedList[T]) search(after func(*T) bool) cursor {
	lo, hi := 0, len(l.blocks)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		blk := l.blocks[mid]
		if after(&blk[len(blk)-1]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(l.blocks) {
		return cursor{lo, 0}
	}
	b, blk := lo, l.blocks[lo]
	lo, hi = 0, len(blk)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if after(&blk[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return cursor{b, lo}
}

// insert puts v before the element at c (at the end if c is the end) and
// returns v's cursor. The caller keeps the order.
func (l *sortedList[T]) insert(c cursor, v T) cursor {
	l.n++
	if len(l.blocks) == 0 {
		l.blocks = append(l.blocks, append(l.newBlock(), v))
		return cursor{}
	}
	if c.b == len(l.blocks) {
		c = cursor{c.b - 1, len(l.blocks[c.b-1])}
	}
	blk := l.blocks[c.b]
	if len(blk) == blockCap {
		// Split in halves and insert into the half that holds position c.i.
		half := blockCap / 2
		right := append(l.newBlock(), blk[half:]...)
		clear(blk[half:])
		l.blocks[c.b] = blk[:half]
		l.blocks = slices.Insert(l.blocks, c.b+1, right)
		if c.i > half {
			c = cursor{c.b + 1, c.i - half}
		}
		blk = l.blocks[c.b]
	}
	l.blocks[c.b] = slices.Insert(blk, c.i, v)
	return c
}

// remove deletes the element at c and returns the cursor of the element
// that followed it.
func (l *sortedList[T]) remove(c cursor) cursor {
	l.n--
	blk := slices.Delete(l.blocks[c.b], c.i, c.i+1)
	if len(blk) == 0 {
		l.spare = append(l.spare, blk)
		l.blocks = slices.Delete(l.blocks, c.b, c.b+1)
		return cursor{c.b, 0}
	}
	l.blocks[c.b] = blk
	if c.i == len(blk) {
		return cursor{c.b + 1, 0}
	}
	return c
}

// popFront removes the smallest element.
func (l *sortedList[T]) popFront() { l.remove(cursor{}) }

// reset empties the list, calling release on every element first.
func (l *sortedList[T]) reset(release func(*T)) {
	for _, blk := range l.blocks {
		for i := range blk {
			if release != nil {
				release(&blk[i])
			}
		}
		clear(blk)
	}
	l.blocks, l.spare, l.n = nil, nil, 0
}

// all calls f on every element in order until it returns false.
func (l *sortedList[T]) all(f func(*T) bool) {
	for _, blk := range l.blocks {
		for i := range blk {
			if !f(&blk[i]) {
				return
			}
		}
	}
}

func (l *sortedList[T]) newBlock() []T {
	if k := len(l.spare); k > 0 {
		b := l.spare[k-1]
		l.spare = l.spare[:k-1]
		return b[:0]
	}
	return make([]T, 0, blockCap)
}
