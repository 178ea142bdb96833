// An independent check of a bankstatus log, written against Go's own implementation of the
// formats (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog), which nobody here
// wrote: the checkpoint's signature with the published key, every tile authenticated against
// the checkpoint's root, every entry hashed into its place, an inclusion proof for every
// entry, consistency with an older checkpoint, and an evidence pack's proofs.
//
// Usage: verify [-since CHECKPOINT_FILE] [-evidence PACK_FILE] BASE_URL
// One line per result; exit 0 when all hold, 1 otherwise.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var failed bool

func fail(format string, args ...interface{}) {
	failed = true
	fmt.Printf("FAIL "+format+"\n", args...)
}

func get(base, path string) ([]byte, error) {
	res, err := http.Get(strings.TrimSuffix(base, "/") + "/" + path)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d", path, res.StatusCode)
	}
	return io.ReadAll(res.Body)
}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

// open verifies a signed checkpoint and reads its origin, size and root.
func open(msg []byte, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("not a checkpoint: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return checkpoint{}, err
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: root}}, nil
}

// tiles reads the C2SP tiles: Go's tlog names a tile tile/8/L/N, the log serves it at
// /log/tile/L/N.
type tiles struct{ base string }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		path := strings.TrimPrefix(tile.Path(), "tile/8/")
		data, err := get(t.base, "log/tile/"+path)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

// bundlePath is the entry bundle holding entries n*256 on, w of them.
func bundlePath(n, w int64) string {
	tile := tlog.Tile{H: 8, L: 0, N: n, W: int(w)}
	return "log/tile/entries/" + strings.TrimPrefix(tile.Path(), "tile/8/0/")
}

type pack struct {
	Log struct {
		Checkpoint string `json:"checkpoint"`
		Entries    []struct {
			Index int64    `json:"index"`
			Entry string   `json:"entry"`
			Proof []string `json:"proof"`
		} `json:"entries"`
	} `json:"log"`
}

func main() {
	since := flag.String("since", "", "an older checkpoint, to prove the current one extends it")
	evidence := flag.String("evidence", "", "an evidence pack, to check its proofs")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: verify [-since FILE] [-evidence FILE] BASE_URL")
		os.Exit(2)
	}
	base := flag.Arg(0)
	key, err := get(base, "log/key")
	if err != nil {
		fail("key: %v", err)
		os.Exit(1)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		fail("key: %v", err)
		os.Exit(1)
	}
	msg, err := get(base, "log/checkpoint")
	if err != nil {
		fail("checkpoint: %v", err)
		os.Exit(1)
	}
	cp, err := open(msg, verifier)
	if err != nil {
		fail("checkpoint: %v", err)
		os.Exit(1)
	}
	fmt.Printf("ok checkpoint: %s, %d entries, signature verified by note.Open\n", cp.origin, cp.tree.N)

	reader := tlog.TileHashReader(cp.tree, tiles{base})
	size := cp.tree.N
	checked := 0
	for n := int64(0); n*256 < size; n++ {
		w := size - n*256
		if w > 256 {
			w = 256
		}
		indexes := make([]int64, w)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, n*256+int64(i))
		}
		hashes, err := reader.ReadHashes(indexes)
		if err != nil {
			fail("tiles: %v", err)
			os.Exit(1)
		}
		data, err := get(base, bundlePath(n, w))
		if err != nil {
			fail("entries: %v", err)
			os.Exit(1)
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				fail("entries: bundle %d ends early", n)
				os.Exit(1)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				fail("entries: bundle %d ends early", n)
				os.Exit(1)
			}
			entry := data[2 : 2+l]
			data = data[2+l:]
			index := n*256 + i
			leaf := tlog.RecordHash(entry)
			if leaf != hashes[i] {
				fail("entry %d: its hash is not the tree's", index)
				continue
			}
			proof, err := tlog.ProveRecord(size, index, reader)
			if err != nil {
				fail("entry %d: %v", index, err)
				continue
			}
			if err := tlog.CheckRecord(proof, size, cp.tree.Hash, index, leaf); err != nil {
				fail("entry %d: %v", index, err)
				continue
			}
			checked++
		}
		if len(data) != 0 {
			fail("entries: bundle %d holds more than %d entries", n, w)
		}
	}
	root, err := tlog.TreeHash(size, reader)
	if err != nil || root != cp.tree.Hash {
		fail("tree: the tiles do not hash to the checkpoint's root (%v)", err)
	}
	if !failed {
		fmt.Printf("ok tiles and entries: %d entries hash into the tree, each with an inclusion proof checked by tlog.CheckRecord\n", checked)
	}

	if *since != "" {
		old, err := os.ReadFile(*since)
		if err != nil {
			fail("since: %v", err)
		} else if oc, err := open(old, verifier); err != nil {
			fail("since: %v", err)
		} else if proof, err := tlog.ProveTree(size, oc.tree.N, reader); err != nil {
			fail("consistency: %v", err)
		} else if err := tlog.CheckTree(proof, size, cp.tree.Hash, oc.tree.N, oc.tree.Hash); err != nil {
			fail("consistency: %v", err)
		} else {
			fmt.Printf("ok consistency: the checkpoint of %d entries is a prefix of the one of %d (tlog.CheckTree)\n", oc.tree.N, size)
		}
	}

	if *evidence != "" {
		raw, err := os.ReadFile(*evidence)
		var p pack
		if err == nil {
			err = json.Unmarshal(raw, &p)
		}
		if err != nil {
			fail("evidence: %v", err)
		} else if pc, err := open([]byte(p.Log.Checkpoint), verifier); err != nil {
			fail("evidence: %v", err)
		} else {
			for _, e := range p.Log.Entries {
				proof := make(tlog.RecordProof, len(e.Proof))
				for i, h := range e.Proof {
					b, err := base64.StdEncoding.DecodeString(h)
					if err != nil || len(b) != tlog.HashSize {
						fail("evidence entry %d: bad proof hash", e.Index)
					}
					copy(proof[i][:], b)
				}
				leaf := tlog.RecordHash([]byte(e.Entry))
				if err := tlog.CheckRecord(proof, pc.tree.N, pc.tree.Hash, e.Index, leaf); err != nil {
					fail("evidence entry %d: %v", e.Index, err)
				}
			}
			fmt.Printf("ok evidence: %d entries proven in the checkpoint of %d entries\n", len(p.Log.Entries), pc.tree.N)
		}
	}
	if failed {
		os.Exit(1)
	}
}
