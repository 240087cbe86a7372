// proctor-face: face embeddings and comparisons on photos, from the command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "client/cli/compare_command.h"
#include "client/cli/embed_command.h"
#include "client/cli/eval_command.h"
#include "client/cli/face_cli.h"

namespace {

void AddCommonOptions(CLI::App* command, proctor::cli::FaceCliOptions& options) {
  command->add_option("--models", options.models_dir,
                      "Model directory (default: $PROCTOR_MODELS, else the repository's models/)");
  command
      ->add_option("--upsample", options.upsample,
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
    embed
        ->add_option("--chips", options.chips_dir,
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

    proctor::cli::EvalCommandOptions eval;
    CLI::App* evaluate = app.add_subcommand(
        "eval", "Error rates (FMR, FNMR, EER) of the face checks on labelled photos");
    evaluate
        ->add_option("dir", eval.inputs.labelled_dir,
                     "Labelled photos, DIR/<person>/<photo>: every two photos are a genuine "
                     "(same folder) or impostor pair")
        ->check(CLI::ExistingDirectory);
    evaluate->add_option("--ignore", eval.inputs.ignore,
                         "A sub-folder of DIR that is not a person (repeatable)");
    evaluate
        ->add_option("--pairs", eval.inputs.pairs_file,
                     "Pairs file: \"photo_a,photo_b,same|different\" per line, paths relative "
                     "to the file")
        ->check(CLI::ExistingFile);
    evaluate
        ->add_option("--groups", eval.inputs.group_dirs,
                     "A group photo, or a folder of them: the faces in one photo are "
                     "different people (impostor pairs); repeatable")
        ->check(CLI::ExistingPath);
    evaluate->add_flag("--degrade", eval.degrade,
                       "Repeat under dim light x0.35, blur sigma 2, JPEG q25, 60 px faces, 20 deg "
                       "rotation and covered eyes, and report how each figure moves");
    evaluate->add_option("--plot", eval.plot_prefix,
                         "Write PREFIX.png and PREFIX.svg (histograms, DET) and PREFIX-worst.png");
    evaluate->add_option("--worst", eval.report.worst, "Worst pairs listed of each kind")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    AddCommonOptions(evaluate, options);

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? proctor::cli::kExitOk : proctor::cli::kExitBadInput;
    }
    if (embed->parsed()) return proctor::cli::RunEmbed(options, images);
    if (evaluate->parsed()) return proctor::cli::RunEval(options, eval);
    return proctor::cli::RunCompare(options, reference, probe);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proctor-face: unexpected error: %s\n", e.what());
    return proctor::cli::kExitFailure;
  }
}
