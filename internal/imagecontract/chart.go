package imagecontract

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// FromChart is the contract of the chart in chartDir with the stack's migration command: the
// static copy and the schema step are the chart's own staticSync and migrate.schema settings
// (values.yaml), which the program does not override.
func FromChart(chartDir string, migrateCommand []string) (Contract, error) {
	file := filepath.Join(chartDir, "values.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		return Contract{}, fmt.Errorf("image contract: %w", err)
	}
	var values struct {
		StaticSync struct {
			Enabled bool     `yaml:"enabled"`
			Command []string `yaml:"command"`
		} `yaml:"staticSync"`
		Migrate struct {
			Schema struct {
				Enabled bool     `yaml:"enabled"`
				Files   []string `yaml:"files"`
			} `yaml:"schema"`
		} `yaml:"migrate"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return Contract{}, fmt.Errorf("image contract: %s: %w", file, err)
	}
	c := Contract{MigrateCommand: migrateCommand}
	if values.StaticSync.Enabled {
		if len(values.StaticSync.Command) == 0 {
			return Contract{}, fmt.Errorf("image contract: %s: staticSync is enabled without a command", file)
		}
		c.StaticCommand = values.StaticSync.Command
	}
	if schema := values.Migrate.Schema; schema.Enabled {
		if len(schema.Files) == 0 {
			return Contract{}, fmt.Errorf("image contract: %s: migrate.schema is enabled without files", file)
		}
		c.SchemaFiles = schema.Files
	}
	return c, nil
}
