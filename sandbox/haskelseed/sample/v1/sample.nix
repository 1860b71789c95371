# What this revision of the sample app adds to its image's derivation (flake.nix merges it in).
{ }
