package presentation

import "slices"

// blockCap is the most elements one block of a sortedList holds.
const blockCap = 32

// sortedList is an ordered sequence stored as a list of small blocks.
// Finding an element is two binary searches (O(log n)); inserting or removing
// one moves at most blockCap/2 elements (toward whichever end of its block
// is nearer), plus the block headers when a block splits or empties.
// Removing the first element, which every read does, moves nothing. A plain
// sorted slice would move half the elements on every insert, which
// dominates when thousands of pieces are out of order.
type sortedList[T any] struct {
	blocks []*block[T]
	n      int
	spare  []*block[T] // emptied blocks kept for reuse, so steady state does not allocate
}

// block holds the elements a[lo:hi] of a sortedList.
type block[T any] struct {
	lo, hi int
	a      [blockCap]T
}

func (b *block[T]) len() int      { return b.hi - b.lo }
func (b *block[T]) at(i int) *T   { return &b.a[b.lo+i] }
func (b *block[T]) last() *T      { return &b.a[b.hi-1] }
func (b *block[T]) elems() []T    { return b.a[b.lo:b.hi] }
func (b *block[T]) full() bool    { return b.len() == blockCap }
func (b *block[T]) reset()        { clear(b.a[b.lo:b.hi]); b.lo, b.hi = 0, 0 }
func (b *block[T]) clearAt(i int) { var zero T; b.a[i] = zero }

// insert puts v at logical position i, shifting the shorter side. The
// block must not be full.
func (b *block[T]) insert(i int, v T) {
	at := b.lo + i
	switch {
	case b.hi < blockCap && (i >= b.len()/2 || b.lo == 0):
		copy(b.a[at+1:b.hi+1], b.a[at:b.hi])
		b.hi++
	default: // room at the front
		copy(b.a[b.lo-1:at-1], b.a[b.lo:at])
		b.lo--
		at--
	}
	b.a[at] = v
}

// remove deletes the element at logical position i, shifting the shorter side.
func (b *block[T]) remove(i int) {
	at := b.lo + i
	if i < b.len()/2 {
		copy(b.a[b.lo+1:at+1], b.a[b.lo:at])
		b.clearAt(b.lo)
		b.lo++
		return
	}
	copy(b.a[at:b.hi-1], b.a[at+1:b.hi])
	b.hi--
	b.clearAt(b.hi)
}

// cursor addresses one element of a sortedList, or its end when b equals
// the number of blocks.
type cursor struct{ b, i int }

func (l *sortedList[T]) len() int { return l.n }

func (l *sortedList[T]) valid(c cursor) bool { return c.b < len(l.blocks) }

func (l *sortedList[T]) at(c cursor) *T { return l.blocks[c.b].at(c.i) }

func (l *sortedList[T]) next(c cursor) cursor {
	c.i++
	if c.i == l.blocks[c.b].len() {
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
		return cursor{c.b - 1, l.blocks[c.b-1].len() - 1}, true
	}
	return c, false
}

// first returns the smallest element, or nil.
func (l *sortedList[T]) first() *T {
	if l.n == 0 {
		return nil
	}
	return l.blocks[0].at(0)
}

// last returns the largest element, or nil.
func (l *sortedList[T]) last() *T {
	if l.n == 0 {
		return nil
	}
	return l.blocks[len(l.blocks)-1].last()
}

// search returns the first element for which after is true; after must be
// false for a prefix of the list and true for the rest. Two binary
// searches: over the blocks' last elements, then inside one block.
func (l *sortedList[T]) search(after func(*T) bool) cursor {
	lo, hi := 0, len(l.blocks)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if after(l.blocks[mid].last()) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(l.blocks) {
		return cursor{lo, 0}
	}
	b, blk := lo, l.blocks[lo]
	lo, hi = 0, blk.len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if after(blk.at(mid)) {
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
		blk := l.newBlock()
		blk.insert(0, v)
		l.blocks = append(l.blocks, blk)
		return cursor{}
	}
	if c.b == len(l.blocks) {
		c = cursor{c.b - 1, l.blocks[c.b-1].len()}
	}
	if blk := l.blocks[c.b]; blk.full() {
		// Split in halves and insert into the half that holds position c.i.
		half := blockCap / 2
		right := l.newBlock()
		right.hi = copy(right.a[:], blk.a[half:])
		clear(blk.a[half:])
		blk.hi = half
		l.blocks = slices.Insert(l.blocks, c.b+1, right)
		if c.i > half {
			c = cursor{c.b + 1, c.i - half}
		}
	}
	l.blocks[c.b].insert(c.i, v)
	return c
}

// remove deletes the element at c and returns the cursor of the element
// that followed it.
func (l *sortedList[T]) remove(c cursor) cursor {
	l.n--
	blk := l.blocks[c.b]
	blk.remove(c.i)
	if blk.len() == 0 {
		blk.lo, blk.hi = 0, 0
		l.spare = append(l.spare, blk)
		l.blocks = slices.Delete(l.blocks, c.b, c.b+1)
		return cursor{c.b, 0}
	}
	if c.i == blk.len() {
		return cursor{c.b + 1, 0}
	}
	return c
}

// popFront removes the smallest element without moving any other.
func (l *sortedList[T]) popFront() { l.remove(cursor{}) }

// reset empties the list, calling release on every element first.
func (l *sortedList[T]) reset(release func(*T)) {
	for _, blk := range l.blocks {
		if release != nil {
			for i := range blk.elems() {
				release(blk.at(i))
			}
		}
		blk.reset()
	}
	l.blocks, l.spare, l.n = nil, nil, 0
}

// all calls f on every element in order until it returns false.
func (l *sortedList[T]) all(f func(*T) bool) {
	for _, blk := range l.blocks {
		for i := range blk.elems() {
			if !f(blk.at(i)) {
				return
			}
		}
	}
}

func (l *sortedList[T]) newBlock() *block[T] {
	if k := len(l.spare); k > 0 {
		b := l.spare[k-1]
		l.spare = l.spare[:k-1]
		return b
	}
	return new(block[T])
}
