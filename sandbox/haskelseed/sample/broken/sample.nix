# What this revision of the sample app adds to its image's derivation (flake.nix merges it in).
# This revision's image does not build: `nix build .#docker` fails.
{
  meta.broken = true;
}
