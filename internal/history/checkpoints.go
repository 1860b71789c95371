package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	_ "github.com/lib/pq" // the postgres:// state backend
)

// Self-managed ("DIY") backends, the file and the postgres ones alike, keep next to each
// update's history record a copy of the checkpoint as it was after that update:
//
//	.pulumi/history/<project>/<stack>/<stack>-<unix nanos>.history.json
//	.pulumi/history/<project>/<stack>/<stack>-<unix nanos>.checkpoint.json
//
// `pulumi stack history` reads only the first, and `pulumi stack export --version` is not
// implemented for these backends, so the stack outputs of an earlier update (the image digest it
// deployed) are read here from the second. The layout is Pulumi's (pkg/backend/diy, addToHistory).

// historyDir is the bookkeeping directory of a project's stack.
func historyDir(project, stack string) string {
	return path.Join(".pulumi", "history", project, stack)
}

var entryName = regexp.MustCompile(`^(.+-([0-9]+))\.(history|checkpoint)\.json(\.gz)?$`)

// blob is one stored object of the backend.
type blob struct {
	key  string
	data []byte
}

// Record is one update as the backend stores it: its start and kind (to match it with the
// CLI's entry) and the stack outputs after it.
type Record struct {
	StartTime int64
	Kind      string
	Outputs   map[string]any
}

// Checkpoints reads the update records of a stack, oldest first, from the backend at
// backendURL (file:// or postgres://). Other backends (Pulumi Cloud) have
// `pulumi stack export --version` instead and are reported as unsupported.
func Checkpoints(ctx context.Context, backendURL, project, stack string) ([]Record, error) {
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, fmt.Errorf("backend URL: %w", err)
	}
	var blobs []blob
	switch u.Scheme {
	case "file":
		blobs, err = fileBlobs(u, historyDir(project, stack))
	case "postgres", "postgresql":
		blobs, err = postgresBlobs(ctx, u, historyDir(project, stack))
	default:
		return nil, fmt.Errorf("reading update checkpoints from a %s:// backend is not supported", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return recordsFromBlobs(blobs)
}

// Attach sets the Outputs of each update from the records. The CLI lists exactly the backend's
// history records, so they pair up in order; an update is only given outputs when its record
// also agrees on start time and kind, so a listing that changed in between attaches nothing wrong.
func Attach(updates []Update, records []Record) (attached int) {
	if len(updates) != len(records) {
		return 0
	}
	// updates are newest first, records oldest first.
	for i := range updates {
		rec := records[len(records)-1-i]
		u := &updates[i]
		if rec.Kind == u.Kind && rec.StartTime == u.StartTime.Unix() {
			u.Outputs = rec.Outputs
			attached++
		}
	}
	return attached
}

// recordsFromBlobs pairs history records with checkpoints by their common name prefix, whose
// number is the time of writing, and returns them oldest first.
func recordsFromBlobs(blobs []blob) ([]Record, error) {
	type pair struct {
		nanos               int64
		history, checkpoint []byte
	}
	pairs := map[string]*pair{}
	for _, b := range blobs {
		m := entryName.FindStringSubmatch(path.Base(b.key))
		if m == nil {
			continue
		}
		data := b.data
		if m[4] == ".gz" {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", b.key, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return nil, fmt.Errorf("%s: %w", b.key, err)
			}
		}
		p := pairs[m[1]]
		if p == nil {
			nanos, _ := strconv.ParseInt(m[2], 10, 64)
			p = &pair{nanos: nanos}
			pairs[m[1]] = p
		}
		if m[3] == "history" {
			p.history = data
		} else {
			p.checkpoint = data
		}
	}
	list := make([]*pair, 0, len(pairs))
	for _, p := range pairs {
		if p.history != nil {
			list = append(list, p)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].nanos < list[j].nanos })
	out := make([]Record, 0, len(list))
	for _, p := range list {
		var h struct {
			Kind      string `json:"kind"`
			StartTime int64  `json:"startTime"`
		}
		if err := json.Unmarshal(p.history, &h); err != nil {
			return nil, fmt.Errorf("history record %d: %w", p.nanos, err)
		}
		rec := Record{StartTime: h.StartTime, Kind: h.Kind}
		if p.checkpoint != nil {
			outputs, err := stackOutputs(p.checkpoint)
			if err != nil {
				return nil, fmt.Errorf("checkpoint %d: %w", p.nanos, err)
			}
			rec.Outputs = outputs
		}
		out = append(out, rec)
	}
	return out, nil
}

// stackOutputs reads the root stack resource's outputs from a checkpoint file.
func stackOutputs(data []byte) (map[string]any, error) {
	var cp struct {
		Checkpoint struct {
			Latest *struct {
				Resources []struct {
					Type    string         `json:"type"`
					Outputs map[string]any `json:"outputs"`
				} `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(data, &cp); err != nil {
		return nil, err
	}
	if cp.Checkpoint.Latest == nil {
		return map[string]any{}, nil
	}
	for _, r := range cp.Checkpoint.Latest.Resources {
		if r.Type == "pulumi:pulumi:Stack" {
			if r.Outputs == nil {
				return map[string]any{}, nil
			}
			return r.Outputs, nil
		}
	}
	return map[string]any{}, nil
}

func fileBlobs(u *url.URL, dir string) ([]blob, error) {
	root := u.Path
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file backend URL %q: only local paths are supported", u.Redacted())
	}
	if strings.HasPrefix(root, "/~") { // file://~/x
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		root = filepath.Join(home, strings.TrimPrefix(root, "/~"))
	}
	full := filepath.Join(root, filepath.FromSlash(dir))
	entries, err := os.ReadDir(full)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", full, err)
	}
	var out []blob
	for _, e := range entries {
		if e.IsDir() || !entryName.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(full, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, blob{key: path.Join(dir, e.Name()), data: data})
	}
	return out, nil
}

// postgresBlobs reads the objects under dir from the state table of Pulumi's postgres backend
// (pkg/backend/diy/postgres: one row per object, key and data).
func postgresBlobs(ctx context.Context, u *url.URL, dir string) ([]blob, error) {
	q := u.Query()
	table := q.Get("table")
	if table == "" {
		table = "pulumi_state"
	}
	if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`).MatchString(table) {
		return nil, fmt.Errorf("postgres backend: table name %q is not a plain identifier", table)
	}
	q.Del("table")
	dsn := *u
	dsn.Scheme = "postgres"
	dsn.RawQuery = q.Encode()
	db, err := sql.Open("postgres", dsn.String())
	if err != nil {
		return nil, fmt.Errorf("postgres backend %s: %w", u.Redacted(), err)
	}
	defer db.Close()
	// Like every non-file backend, the DIY backend prefixes its keys with the URL's path (here
	// the database name): postgres://host/db stores ".pulumi/x" as "db/.pulumi/x".
	if sub := strings.TrimLeft(u.Path, "/"); sub != "" {
		dir = strings.TrimSuffix(sub, "/") + "/" + dir
	}
	rows, err := db.QueryContext(ctx,
		"SELECT key, data::text FROM "+table+" WHERE key LIKE $1 ORDER BY key", escapeLike(dir+"/")+"%")
	if err != nil {
		return nil, fmt.Errorf("postgres backend %s: %w", u.Redacted(), err)
	}
	defer rows.Close()
	var out []blob
	for rows.Next() {
		var key, data string
		if err := rows.Scan(&key, &data); err != nil {
			return nil, err
		}
		// Each row holds {"data": "<base64 of the object>"}.
		var wrapped struct {
			Data string `json:"data"`
		}
		if err := json.Unmarshal([]byte(data), &wrapped); err != nil {
			return nil, fmt.Errorf("postgres backend: row %s: %w", key, err)
		}
		raw, err := base64.StdEncoding.DecodeString(wrapped.Data)
		if err != nil {
			return nil, fmt.Errorf("postgres backend: row %s: %w", key, err)
		}
		out = append(out, blob{key: key, data: raw})
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
