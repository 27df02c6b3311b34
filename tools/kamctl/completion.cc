#include "tools/kamctl/completion.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace kam::kamctl {
namespace {

// One command of the tree: its path from the root ("kamctl accounts list") and the words
// that may follow it.
struct Node {
  std::string path;
  std::vector<std::string> commands;
  std::vector<std::string> flags;
  // The flags that take a value: the word after one is not a command.
  std::vector<std::string> valued;
  // The values of the flags that take one of a list (enums), by flag.
  std::vector<std::pair<std::string, std::string>> choices;
};

// "micro small medium large" for an option checked by EnumValidator, else empty.
std::string Choices(CLI::Option* option) {
  try {
    return absl::StrReplaceAll(option->get_validator(kEnumValidatorName)->get_description(),
                               {{",", ""}});
  } catch (const CLI::OptionNotFound&) {
    return "";
  }
}

void AddOptions(CLI::App& app, Node* node) {
  for (CLI::Option* option : app.get_options()) {
    if (!option->nonpositional()) continue;
    for (const std::string& name : option->get_lnames()) {
      const std::string flag = "--" + name;
      // --help is on every command and the root's.
      if (std::find(node->flags.begin(), node->flags.end(), flag) != node->flags.end()) continue;
      node->flags.push_back(flag);
      if (option->get_expected_max() != 0) node->valued.push_back(flag);
      if (std::string choices = Choices(option); !choices.empty()) {
        node->choices.emplace_back(flag, std::move(choices));
      }
    }
  }
}

void Collect(CLI::App& app, const std::string& path, CLI::App& root, std::vector<Node>* nodes) {
  Node node;
  node.path = path;
  AddOptions(app, &node);
  // The root's options may follow any command (kamctl accounts list --json).
  if (&app != &root) AddOptions(root, &node);
  std::vector<CLI::App*> subcommands = app.get_subcommands({});
  for (const CLI::App* sub : subcommands) node.commands.push_back(sub->get_name());
  nodes->push_back(std::move(node));
  for (CLI::App* sub : subcommands) {
    Collect(*sub, path + " " + sub->get_name(), root, nodes);
  }
}

// Single-quoted for the shell; names are plain words, but quote them all the same.
std::string Quoted(const std::string& text) { return "'" + text + "'"; }

std::string Entries(const std::vector<Node>& nodes, const std::vector<std::string> Node::*words) {
  std::string text;
  for (const Node& node : nodes) {
    // Spaces around every word, so that " $word " matches a whole word.
    absl::StrAppend(&text, "  [", Quoted(node.path),
                    "]=", Quoted(" " + absl::StrJoin(node.*words, " ") + " "), "\n");
  }
  return text;
}

// By "<path> <flag>": the flag's values.
std::string ChoiceEntries(const std::vector<Node>& nodes) {
  std::string text;
  for (const Node& node : nodes) {
    for (const auto& [flag, choices] : node.choices) {
      absl::StrAppend(&text, "  [", Quoted(node.path + " " + flag), "]=", Quoted(choices), "\n");
    }
  }
  return text;
}

constexpr char kFunction[] = R"(
_kamctl() {
  # zsh's bashcompinit counts array elements from 1; the code below counts from 0. (Not
  # `path`: zsh ties it to PATH.)
  [[ -n "${ZSH_VERSION-}" ]] && setopt localoptions ksharrays
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" node=kamctl word key i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    key="$node $word"  # zsh keeps the quotes of a quoted subscript
    if [[ "${_kamctl_valued[$node]}" == *" $word "* ]]; then
      ((i++))  # skip the flag's value, which may look like a command
    elif [[ -n "${_kamctl_flags[$key]+set}" ]]; then
      node="$key"
    fi
  done
  ((COMP_CWORD > 1)) && prev="${COMP_WORDS[COMP_CWORD-1]}"
  key="$node $prev"
  if [[ -n "${_kamctl_choices[$key]+set}" ]]; then
    COMPREPLY=($(compgen -W "${_kamctl_choices[$key]}" -- "$cur"))
  elif [[ -n "$prev" && "${_kamctl_valued[$node]}" == *" $prev "* ]]; then
    COMPREPLY=()  # a flag's value: bash's default (file names)
  elif [[ "$cur" == -* || -z "${_kamctl_commands[$node]// /}" ]]; then
    COMPREPLY=($(compgen -W "${_kamctl_flags[$node]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "${_kamctl_commands[$node]}" -- "$cur"))
  fi
}
complete -o default -F _kamctl kamctl
)";

}  // namespace

std::string BashCompletion(CLI::App& app) {
  std::vector<Node> nodes;
  Collect(app, "kamctl", app, &nodes);
  return absl::StrCat(
      "# bash completion for kamctl, generated from its command tree by `kamctl completion "
      "bash`.\n",
      "declare -gA _kamctl_commands=(\n", Entries(nodes, &Node::commands), ")\n",
      "declare -gA _kamctl_flags=(\n", Entries(nodes, &Node::flags), ")\n",
      "declare -gA _kamctl_valued=(\n", Entries(nodes, &Node::valued), ")\n",
      "declare -gA _kamctl_choices=(\n", ChoiceEntries(nodes), ")\n", kFunction);
}

void AddCompletionCommand(CLI::App& app, Action* action) {
  CLI::App* completion = app.add_subcommand(
      "completion", "Print a shell completion script: source <(kamctl completion bash)");
  completion->require_subcommand(1);
  CLI::App* bash = completion->add_subcommand("bash", "The script for bash (4.2 or later)");
  OnRun(bash, action, [&app] {
    std::cout << BashCompletion(app);
    return kExitOk;
  });
  CLI::App* zsh = completion->add_subcommand("zsh", "The bash script behind zsh's bashcompinit");
  OnRun(zsh, action, [&app] {
    std::cout << "autoload -U +X bashcompinit && bashcompinit\n" << BashCompletion(app);
    return kExitOk;
  });
}

}  // namespace kam::kamctl
