// proctor-face: face embeddings and comparisons on photos, from the command line.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/cli/compare_command.h"
#include "client/cli/embed_command.h"
#include "client/cli/face_cli.h"

namespace {

void AddCommonOptions(CLI::App* command, proctor::cli::FaceCliOptions& options) {
  command->add_option("--models", options.models_dir,
                      "Model directory (default: $PROCTOR_MODELS, else the repository's models/)");
  command->add_option("--upsample", options.upsample,
                      "Detector upsampling, 0-2: 1 finds faces down to ~40 px, each step ~4x time")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  command->add_flag("--json", options.json, "Print one JSON document on stdout");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"proctor-face: find faces, compute identity descriptors and compare photos"};
    app.footer(
        "Exit codes: 0 ok; 1 models missing or internal failure; 2 bad arguments or an "
        "unreadable image; 3 an image holds no face.");
    app.require_subcommand(1);
    proctor::cli::FaceCliOptions options;

    std::vector<std::string> images;
    CLI::App* embed = app.add_subcommand("embed", "Faces and 128-d descriptors of each image");
    embed->add_option("images", images, "photos: JPEG, PNG, WebP, TIFF or BMP")->required();
    AddCommonOptions(embed, options);
    embed->add_option("--chips", options.chips_dir,
                      "Also write each face's aligned 150x150 chip as DIR/<image>-<face>.jpg "
                      "(evidence, as the client attaches it); JSON gains \"chip\"")
        ->check(CLI::ExistingDirectory);

    std::string reference, probe;
    CLI::App* compare =
        app.add_subcommand("compare", "Distance between the REFERENCE face and the PROBE's");
    compare->add_option("reference", reference, "Photo of the known person (largest face used)")
        ->required();
    compare->add_option("probe", probe, "Photo to check (closest face used)")->required();
    compare->add_option("--threshold", options.threshold, "Same person when distance <= this")
        ->check(CLI::Range(0.0, 2.0))
        ->capture_default_str();
    AddCommonOptions(compare, options);

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::cli::kExitOk : proctor::cli::kExitBadInput;
    }
    if (embed->parsed()) return proctor::cli::RunEmbed(options, images);
    return proctor::cli::RunCompare(options, reference, probe);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-face: unexpected error: %s\n", e.what());
    return proctor::cli::kExitFailure;
  }
}
