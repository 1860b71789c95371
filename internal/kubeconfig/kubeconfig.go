// Package kubeconfig reads the parts of a kubeconfig file that the readiness gate needs to talk to
// the apiserver over plain HTTPS: server URL, CA, and client certificate or token.
//
// client-go would do this too, but it would add its whole dependency tree to the program for a
// handful of GET requests.
package kubeconfig

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// File is the subset of a kubeconfig file this package understands.
type File struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
			TLSServerName            string `yaml:"tls-server-name"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			ClientCertificate     string `yaml:"client-certificate"`
			ClientCertificateData string `yaml:"client-certificate-data"`
			ClientKey             string `yaml:"client-key"`
			ClientKeyData         string `yaml:"client-key-data"`
			Token                 string `yaml:"token"`
			TokenFile             string `yaml:"tokenFile"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// Target is one context of a kubeconfig, resolved: everything needed to call the apiserver.
type Target struct {
	Context string
	Server  string
	TLS     *tls.Config
	Token   string
}

// Parse reads kubeconfig content. dir resolves relative file references (the directory of the
// kubeconfig file). context selects the context; empty means the file's current-context.
func Parse(content []byte, dir, context string) (*Target, error) {
	var f File
	if err := yaml.Unmarshal(content, &f); err != nil {
		return nil, fmt.Errorf("not a kubeconfig file: %w", err)
	}
	if context == "" {
		context = f.CurrentContext
	}
	if context == "" {
		return nil, errors.New("no context given and the file has no current-context")
	}
	var clusterName, userName string
	found := false
	for _, c := range f.Contexts {
		if c.Name == context {
			clusterName, userName, found = c.Context.Cluster, c.Context.User, true
		}
	}
	if !found {
		return nil, fmt.Errorf("context %q not found", context)
	}
	t := &Target{Context: context, TLS: &tls.Config{MinVersion: tls.VersionTLS12}}

	foundCluster := false
	for _, c := range f.Clusters {
		if c.Name != clusterName {
			continue
		}
		foundCluster = true
		u, err := url.Parse(c.Cluster.Server)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("cluster %q: server %q is not an https URL", clusterName, c.Cluster.Server)
		}
		t.Server = c.Cluster.Server
		t.TLS.ServerName = c.Cluster.TLSServerName
		t.TLS.InsecureSkipVerify = c.Cluster.InsecureSkipTLSVerify
		ca, err := material(c.Cluster.CertificateAuthorityData, c.Cluster.CertificateAuthority, dir)
		if err != nil {
			return nil, fmt.Errorf("cluster %q: certificate authority: %w", clusterName, err)
		}
		if ca != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("cluster %q: certificate authority holds no PEM certificate", clusterName)
			}
			t.TLS.RootCAs = pool
		}
	}
	if !foundCluster {
		return nil, fmt.Errorf("context %q names cluster %q, which is not in the file", context, clusterName)
	}

	foundUser := false
	for _, u := range f.Users {
		if u.Name != userName {
			continue
		}
		foundUser = true
		cert, err := material(u.User.ClientCertificateData, u.User.ClientCertificate, dir)
		if err != nil {
			return nil, fmt.Errorf("user %q: client certificate: %w", userName, err)
		}
		key, err := material(u.User.ClientKeyData, u.User.ClientKey, dir)
		if err != nil {
			return nil, fmt.Errorf("user %q: client key: %w", userName, err)
		}
		if cert != nil || key != nil {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return nil, fmt.Errorf("user %q: client certificate and key: %w", userName, err)
			}
			t.TLS.Certificates = []tls.Certificate{pair}
		}
		t.Token = u.User.Token
		if t.Token == "" && u.User.TokenFile != "" {
			b, err := os.ReadFile(resolve(u.User.TokenFile, dir))
			if err != nil {
				return nil, fmt.Errorf("user %q: token file: %w", userName, err)
			}
			t.Token = string(b)
		}
	}
	if !foundUser {
		return nil, fmt.Errorf("context %q names user %q, which is not in the file", context, userName)
	}
	return t, nil
}

// material returns inline base64 data or the content of a referenced file.
func material(data, file, dir string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return b, nil
	}
	if file != "" {
		return os.ReadFile(resolve(file, dir))
	}
	return nil, nil
}

func resolve(path, dir string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// Inline returns the kubeconfig with every file reference (certificate-authority,
// client-certificate, client-key) replaced by its inline *-data form. The kubernetes provider
// receives the kubeconfig as content, not as a path, so references relative to the file's
// directory would no longer resolve. Unreadable references are left as they are; Parse reports
// them for the context in use.
func Inline(content []byte, dir string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("not a kubeconfig file: %w", err)
	}
	inlineList(doc, "clusters", "cluster", map[string]string{"certificate-authority": "certificate-authority-data"}, dir)
	inlineList(doc, "users", "user", map[string]string{
		"client-certificate": "client-certificate-data",
		"client-key":         "client-key-data",
	}, dir)
	return yaml.Marshal(doc)
}

func inlineList(doc map[string]any, list, inner string, fields map[string]string, dir string) {
	items, _ := doc[list].([]any)
	for _, item := range items {
		entry, _ := item.(map[string]any)
		body, _ := entry[inner].(map[string]any)
		if body == nil {
			continue
		}
		for fileKey, dataKey := range fields {
			path, _ := body[fileKey].(string)
			if path == "" {
				continue
			}
			b, err := os.ReadFile(resolve(path, dir))
			if err != nil {
				continue
			}
			delete(body, fileKey)
			body[dataKey] = base64.StdEncoding.EncodeToString(b)
		}
	}
}
