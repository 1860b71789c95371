{
  description = "inter-hub sample app: a stand-in for the IHP application, built by the sandbox's nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      app = pkgs.haskellPackages.callCabal2nix "inter-hub" ./. { };
    in
    {
      packages.x86_64-linux.default = app;

      # `nix build .#docker` -> result: a gzipped docker-archive of the app image.
      packages.x86_64-linux.docker = pkgs.dockerTools.buildLayeredImage {
        name = "inter-hub";
        contents = [ app ];
        config = {
          Entrypoint = [ "/app/bin/inter-hub" ];
          ExposedPorts."8000/tcp" = { };
          WorkingDir = "/app";
        };
      } // {
        # This revision's image does not build: `nix build .#docker` fails.
        meta.broken = true;
      };
    };
}
