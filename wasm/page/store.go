//go:build js && wasm

package page

import (
	"errors"
	"sync"
	"syscall/js"
)

// idbStore keeps the Reproduce view's finished runs in the browser's
// IndexedDB (state.Store): one object store, each run's JSON bytes under
// its job's key. Every call works in a goroutine of its own and answers
// through the bridge's queue, under the render lock.
type idbStore struct {
	b    *bridge
	once sync.Once
	db   js.Value
	err  error
}

const (
	idbName = "copsd-reproduce"
	idbRuns = "runs"
)

func newIDBStore(b *bridge) *idbStore { return &idbStore{b: b} }

// open opens the database once, creating its object store the first time.
func (s *idbStore) open() (js.Value, error) {
	s.once.Do(func() {
		idb := js.Global().Get("indexedDB")
		if !idb.Truthy() {
			s.err = errors.New("this browser offers no IndexedDB")
			return
		}
		req := idb.Call("open", idbName, 1)
		upgrade := js.FuncOf(func(js.Value, []js.Value) any {
			req.Get("result").Call("createObjectStore", idbRuns)
			return nil
		})
		defer upgrade.Release()
		req.Set("onupgradeneeded", upgrade)
		s.db, s.err = await(req, "onsuccess")
		if s.err == nil {
			s.db = req.Get("result")
		}
	})
	return s.db, s.err
}

// await waits for an IndexedDB request or transaction to fire ok (its
// success event) or to fail. Call it from a goroutine, never from a JS
// callback.
func await(target js.Value, ok string) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	done := js.FuncOf(func(js.Value, []js.Value) any {
		ch <- result{v: target}
		return nil
	})
	fail := js.FuncOf(func(js.Value, []js.Value) any {
		msg := "failed"
		if e := target.Get("error"); e.Truthy() {
			msg = e.Get("message").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer done.Release()
	defer fail.Release()
	target.Set(ok, done)
	target.Set("onerror", fail)
	if ok == "oncomplete" {
		target.Set("onabort", fail)
	}
	r := <-ch
	return r.v, r.err
}

// objects starts a transaction on the runs.
func (s *idbStore) objects(mode string) (tx, st js.Value, err error) {
	db, err := s.open()
	if err != nil {
		return js.Value{}, js.Value{}, err
	}
	defer func() {
		if r := recover(); r != nil { // the transaction was refused (a closing database)
			err = errors.New("the browser's storage refused the transaction")
		}
	}()
	tx = db.Call("transaction", idbRuns, mode)
	return tx, tx.Call("objectStore", idbRuns), nil
}

// Put implements state.Store.
func (s *idbStore) Put(key string, data []byte) {
	go func() {
		tx, st, err := s.objects("readwrite")
		if err == nil {
			arr := js.Global().Get("Uint8Array").New(len(data))
			js.CopyBytesToJS(arr, data)
			st.Call("put", arr, key)
			_, err = await(tx, "oncomplete")
		}
		s.b.queue(func() { s.b.lab.Repro.OnStorePut(key, data, err) })
	}()
}

// List implements state.Store.
func (s *idbStore) List() {
	go func() {
		runs, _, err := s.all()
		s.b.queue(func() { s.b.lab.Repro.OnStoreList(runs, err) })
	}()
}

// Usage implements state.Store: the bytes of the runs kept.
func (s *idbStore) Usage() {
	go func() {
		_, n, err := s.all()
		s.b.queue(func() { s.b.lab.Repro.OnStoreUsage(n, err) })
	}()
}

// Clear implements state.Store.
func (s *idbStore) Clear() {
	go func() {
		tx, st, err := s.objects("readwrite")
		if err == nil {
			st.Call("clear")
			_, err = await(tx, "oncomplete")
		}
		if err != nil {
			s.b.queue(func() { s.b.lab.Repro.OnStoreList(nil, err) })
			return
		}
		s.b.queue(func() { s.b.lab.Repro.OnStoreList(map[string][]byte{}, nil) })
	}()
}

// all reads every run kept and their total size.
func (s *idbStore) all() (map[string][]byte, int64, error) {
	tx, st, err := s.objects("readonly")
	if err != nil {
		return nil, 0, err
	}
	keys, vals := st.Call("getAllKeys"), st.Call("getAll")
	if _, err := await(tx, "oncomplete"); err != nil {
		return nil, 0, err
	}
	k, v := keys.Get("result"), vals.Get("result")
	runs := map[string][]byte{}
	var n int64
	for i := 0; i < k.Length() && i < v.Length(); i++ {
		arr := v.Index(i)
		if arr.Type() != js.TypeObject || !arr.InstanceOf(js.Global().Get("Uint8Array")) {
			continue // not one of ours
		}
		b := make([]byte, arr.Length())
		js.CopyBytesToGo(b, arr)
		runs[k.Index(i).String()] = b
		n += int64(len(b))
	}
	return runs, n, nil
}
