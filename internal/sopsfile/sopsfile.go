// Package sopsfile decrypts a SOPS-encrypted YAML file of environment variables in-process.
//
// Pulumi has no age secrets provider, so the file is decrypted here with SOPS's own library
// (which verifies the file's MAC) and its values are handed to the program as plain strings for
// it to wrap as Pulumi secrets. The age identity comes from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY,
// exactly as for the sops CLI.
package sopsfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/getsops/sops/v3/decrypt"
	"go.yaml.in/yaml/v3"
)

// envName is what a POSIX shell accepts as a variable name; the chart passes every key through
// envFrom, and Kubernetes silently skips keys that are not valid variable names.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidName reports whether name can be a key of the file: an environment variable name.
func ValidName(name string) bool { return envName.MatchString(name) }

// Decrypt reads the SOPS file at path, decrypts and verifies it, and returns its top-level
// key/value pairs. It refuses an empty file, a file without SOPS metadata, duplicate keys,
// nested values, keys that are not environment variable names and any value that still looks
// encrypted. Every error names the file.
//
// fallbackKeyFile, when not empty, is used as SOPS_AGE_KEY_FILE if neither SOPS_AGE_KEY_FILE nor
// SOPS_AGE_KEY is set (SOPS reads its identities from the environment only).
func Decrypt(path, fallbackKeyFile string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", path)
	}
	if fallbackKeyFile != "" && os.Getenv("SOPS_AGE_KEY_FILE") == "" && os.Getenv("SOPS_AGE_KEY") == "" {
		os.Setenv("SOPS_AGE_KEY_FILE", fallbackKeyFile)
		defer os.Unsetenv("SOPS_AGE_KEY_FILE")
	}
	clear, err := decrypt.Data(raw, "yaml")
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, explain(err))
	}
	values, err := parse(clear)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values, nil
}

// explain turns SOPS's errors into one line that says what to check.
func explain(err error) string {
	msg := strings.TrimSpace(err.Error())
	switch {
	case strings.Contains(msg, "sops metadata not found"):
		return "not a SOPS-encrypted file (no sops metadata); encrypt it with `sops --encrypt --in-place`"
	case strings.Contains(msg, "Error getting data key"):
		source := "no age identity: set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY"
		if os.Getenv("SOPS_AGE_KEY_FILE") != "" {
			source = "age identity from SOPS_AGE_KEY_FILE=" + os.Getenv("SOPS_AGE_KEY_FILE")
		} else if os.Getenv("SOPS_AGE_KEY") != "" {
			source = "age identity from SOPS_AGE_KEY"
		}
		return "cannot decrypt the data key with any available identity (" + source +
			"); the file is not encrypted for this key, see `sops updatekeys`"
	case strings.Contains(msg, "Failed to verify data integrity"), strings.Contains(msg, "Failed to decrypt original mac"):
		return "integrity check failed (MAC mismatch): the file was modified outside sops"
	case strings.Contains(msg, "Could not decrypt value"), strings.Contains(msg, "Input string"):
		return "a value cannot be decrypted (corrupted or edited outside sops): " + oneLine(msg)
	}
	// SOPS parses the encrypted file itself and refuses duplicate keys there.
	if dups := duplicateKey.FindAllStringSubmatch(msg, -1); len(dups) > 0 {
		var out []string
		for _, d := range dups {
			out = append(out, fmt.Sprintf("key %s: set more than once", d[1]))
		}
		return strings.Join(out, "; ")
	}
	return oneLine(msg)
}

var duplicateKey = regexp.MustCompile(`mapping key "([^"]*)" already defined`)

// oneLine joins a multi-line error into one line.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// parse reads the decrypted document as a flat mapping of scalar values.
func parse(clear []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(clear, &doc); err != nil {
		return nil, fmt.Errorf("decrypted content is not valid YAML: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errors.New("the file holds no values")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("the top level must be a mapping of NAME: value")
	}
	if len(root.Content) == 0 {
		return nil, errors.New("the file holds no values")
	}
	values := make(map[string]string, len(root.Content)/2)
	var problems []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		if _, dup := values[name]; dup {
			problems = append(problems, fmt.Sprintf("key %s: set more than once", name))
			continue
		}
		if !envName.MatchString(name) {
			problems = append(problems, fmt.Sprintf("key %q: not an environment variable name", name))
			continue
		}
		if v.Kind != yaml.ScalarNode {
			problems = append(problems, fmt.Sprintf("key %s: must be a single value, not a list or mapping", name))
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(v.Value), "ENC[") {
			problems = append(problems, fmt.Sprintf("key %s: value is still encrypted (ENC[...]) after decryption", name))
			continue
		}
		values[name] = v.Value
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return values, nil
}
