{
  description = "inter-hub sample app: a stand-in for the IHP application, built by the sandbox's nix";

  # The sandbox's `nix` stand-in does not evaluate this file. It builds what the file describes
  # with Debian's GHC (the executables of inter-hub.cabal, `ghc -O1 -threaded`, stripped) and packs
  # the same image: the programs and their shared-library closure, cp, sh and psql, CA
  # certificates, /etc/passwd, /tmp, static/, the migration files and the schema under /app. It honours two lines:
  # `meta.broken = true;` here or in sample.nix (the build fails) and a comment here
  # `sandbox: build-seconds N` (it waits).

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      revision = self.rev or "dirty";
      app = pkgs.haskell.lib.justStaticExecutables
        (pkgs.haskellPackages.callCabal2nix "inter-hub" ./. { });
      # IHP ships its migration tool as a package of its own (ihp-migrate); here it is the app's
      # second executable.
      migrate = pkgs.runCommand "inter-hub-migrate" { } ''
        mkdir -p $out/bin
        ln -s ${app}/bin/migrate $out/bin/migrate
      '';
      # Files the image carries under its working directory /app. IHPSchema.sql stands for IHP's
      # own lib/IHP/IHPSchema.sql, which a real IHP app copies from its ihp input.
      appFiles = pkgs.runCommand "inter-hub-app-files" { } ''
        mkdir -p $out/app/Application
        cp -r ${./static} $out/app/static
        cp -r ${./Application/Migration} $out/app/Application/Migration
        cp ${./Application/Schema.sql} $out/app/Application/Schema.sql
        cp ${./IHPSchema.sql} $out/app/IHPSchema.sql
      '';
    in
    {
      packages.x86_64-linux.default = app; # bin/RunProdServer (and bin/create-admin)
      packages.x86_64-linux.migrate = migrate;

      # `nix build .#docker` -> result: a gzipped docker-archive of the app image. The image
      # contract: Cmd RunProdServer; `migrate` (the chart's migration Job), `sh` and `psql` (its
      # schema step on an empty database) and `cp` (its static copy into the volume at
      # /app/static) on PATH; the migrations, IHP_MIGRATION_DIR and the schema files. The
      # sample adds `create-admin` (an admin account on a fresh database, run with kubectl exec).
      packages.x86_64-linux.docker = pkgs.dockerTools.buildLayeredImage {
        name = "inter-hub";
        contents = [
          # IHP's packages.default alone: migrate, its own package, is left out.
          self.packages.x86_64-linux.default
          pkgs.coreutils
          pkgs.dockerTools.binSh
          pkgs.postgresql
          pkgs.dockerTools.caCertificates
          pkgs.dockerTools.fakeNss
          appFiles
        ];
        extraCommands = "mkdir -m 1777 tmp";
        config = {
          Cmd = [ "/bin/RunProdServer" ];
          WorkingDir = "/app";
          Env = [
            "PATH=/bin"
            "IHP_MIGRATION_DIR=/app/Application/Migration/"
            "PORT=8000"
            "INTERHUB_REVISION=${revision}"
          ];
          ExposedPorts."8000/tcp" = { };
          Labels = {
            "org.opencontainers.image.revision" = revision;
            "org.opencontainers.image.title" = "inter-hub";
          };
        };
      } // import ./sample.nix;
    };
}
