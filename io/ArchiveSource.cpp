//===- io/ArchiveSource.cpp - Checks an archive's code before LibTorch does ---===//
//
// Walks the top-level definitions of one code/ record the way LibTorch's
// SourceImporter does (an optional `op_version_set = N` line, `import`
// lines, then `class` and `def`), and checks each class body for the shapes
// the importer assumes without checking (see the header). Method bodies are
// skipped with the lexer (ClassScanner); a record whose class level is not
// what torch.jit.save writes is parsed in full instead. Anything the
// importer itself rejects with an exception is left to it.
//
//===----------------------------------------------------------------------===//
#include "io/ArchiveSource.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/frontend/lexer.h>
#include <torch/csrc/jit/frontend/parser.h>
#include <torch/csrc/jit/frontend/tree_views.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/source_range_serialization.h>

#include <optional>
#include <set>

namespace s2t {

using namespace torch::jit;

namespace {

[[noreturn]] void reject(const SourceRange &range, const std::string &what) {
  conversionError(sourceLocation(range) + ": " + what);
}

/// What the checks read of one class-level assignment `LHS [: TYPE] [= VALUE]`.
struct ClassAssign {
  SourceRange range;               ///< the left-hand side's
  std::optional<std::string> name; ///< a single target that is a name
  bool typed = false;
  bool valued = false;
  /// The value's string literals, where it is a list of them (the hook
  /// lists are; the scan reads no other value).
  std::optional<std::vector<std::string>> strings;
};

/// What the checks read of one class: its base, its methods' names and its
/// assignments. Method bodies are not part of it.
struct ClassSummary {
  std::string name;
  bool hasBase = false;
  std::optional<std::string> base; ///< the base, where it is a plain name
  std::set<std::string> methods;
  std::vector<ClassAssign> assigns;
};

/// The string literals of `[ "a", "b", ]`, or nothing when the expression is
/// something else (the importer throws on that itself).
std::optional<std::vector<std::string>> stringList(const Expr &expr) {
  if (expr.kind() != TK_LIST_LITERAL)
    return std::nullopt;
  std::vector<std::string> names;
  for (const Expr &element : ListLiteral(expr).inputs()) {
    if (element.kind() != TK_STRINGLITERAL)
      return std::nullopt;
    names.push_back(StringLiteral(element).text());
  }
  return names;
}

/// The summary of a class the full parser parsed.
ClassSummary summarize(const ClassDef &classDef) {
  ClassSummary summary;
  summary.name = classDef.name().name();
  if (classDef.superclass().present()) {
    summary.hasBase = true;
    Expr superclass = classDef.superclass().get();
    if (superclass.kind() == TK_VAR)
      summary.base = Var(superclass).name().name();
  }
  for (const Stmt &statement : classDef.body()) {
    if (statement.kind() == TK_DEF) {
      summary.methods.insert(Def(statement).name().name());
      continue;
    }
    if (statement.kind() != TK_ASSIGN)
      continue;
    Assign assign(statement);
    ClassAssign entry{assign.range(), std::nullopt, false, false, std::nullopt};
    if (assign.lhs_list().size() == 1 && assign.lhs().kind() == TK_VAR)
      entry.name = Var(assign.lhs()).name().name();
    entry.typed = assign.type().present();
    entry.valued = assign.rhs().present();
    if (entry.valued)
      entry.strings = stringList(assign.rhs().get());
    summary.assigns.push_back(std::move(entry));
  }
  return summary;
}

/// A module or plain class: constants need their type, hooks their def.
void checkClassBody(const ClassSummary &summary) {
  for (const ClassAssign &assign : summary.assigns) {
    const std::optional<std::string> &name = assign.name;
    if (!name || *name == "__parameters__" || *name == "__buffers__" ||
        *name == "__annotations__")
      continue;
    if (*name == "__forward_hooks__" || *name == "__forward_pre_hooks__") {
      if (assign.strings)
        for (const std::string &hook : *assign.strings)
          if (!summary.methods.count(hook))
            reject(assign.range, "class '" + summary.name + "' lists hook '" +
                                     hook + "' in " + *name +
                                     " but defines no method of that name");
      continue;
    }
    if (assign.valued && !assign.typed)
      reject(assign.range,
             "class '" + summary.name + "' assigns '" + *name +
                 "' without a type; a class constant is saved as '" + *name +
                 " : Final[T] = VALUE'");
  }
}

/// NamedTuple fields are `name : T` or `name : T = DEFAULT`; Enum members
/// are `NAME = VALUE`. Refuses the first assignment without the part the
/// importer reads (`typed`: the type, else the value).
void checkEachAssignHas(const ClassSummary &summary, bool typed,
                        const std::string &what) {
  for (const ClassAssign &assign : summary.assigns)
    if (!(typed ? assign.typed : assign.valued))
      reject(assign.range, what);
}

void checkClass(const ClassSummary &summary) {
  if (summary.hasBase && !summary.base)
    return; // the importer rejects a base that is not a name
  const std::string base = summary.base.value_or("");
  if (base.empty() || base == "Module")
    checkClassBody(summary);
  else if (base == "NamedTuple")
    checkEachAssignHas(summary, /*typed=*/true,
                       "NamedTuple '" + summary.name +
                           "' has a field without a type");
  else if (base == "Enum")
    checkEachAssignHas(summary, /*typed=*/false,
                       "Enum '" + summary.name +
                           "' has a member without a value");
}

/// Skips the rest of the current line (`import ...`, `op_version_set = N`).
void skipLine(Lexer &lexer) {
  while (lexer.cur().kind != TK_NEWLINE && lexer.cur().kind != TK_EOF)
    lexer.next();
  lexer.nextIf(TK_NEWLINE);
}

/// Where the source leaves the shapes torch.jit.save writes, the scan stops
/// and the record is parsed in full (parseClasses).
struct UnexpectedShape {};

/// Reads the classes of a code record as the importer's parser would, but
/// skips method bodies with the lexer alone: they are most of the text, and
/// the checks read none of them. Accepts only what torch.jit.save writes
/// at class level (a multi-line `def`, `NAME[: TYPE] [= VALUE]`, expression
/// lines); anything else throws UnexpectedShape.
class ClassScanner {
public:
  explicit ClassScanner(Parser &parser)
      : parser_(parser), lexer_(parser.lexer()) {}

  std::vector<ClassSummary> scan() {
    std::vector<ClassSummary> classes;
    while (lexer_.cur().kind != TK_EOF) {
      Token &token = lexer_.cur();
      if (token.kind == TK_IMPORT ||
          (token.kind == TK_IDENT && token.text() == "op_version_set"))
        skipLine(lexer_);
      else if (token.kind == TK_CLASS_DEF)
        classes.push_back(scanClass());
      else if (token.kind == TK_DEF)
        skipFunction();
      else
        break; // the importer rejects it
    }
    return classes;
  }

private:
  void expect(int kind) {
    if (!lexer_.nextIf(kind))
      throw UnexpectedShape();
  }

  /// `class NAME[(BASE)]:` and its indented statements.
  ClassSummary scanClass() {
    expect(TK_CLASS_DEF);
    ClassSummary summary;
    if (lexer_.cur().kind != TK_IDENT)
      throw UnexpectedShape();
    summary.name = lexer_.next().text();
    if (lexer_.nextIf('(')) {
      Expr base = parser_.parseExp();
      summary.hasBase = true;
      if (base.kind() == TK_VAR)
        summary.base = Var(base).name().name();
      expect(')');
    }
    expect(':');
    expect(TK_INDENT);
    do
      scanStatement(summary);
    while (!lexer_.nextIf(TK_DEDENT));
    return summary;
  }

  void scanStatement(ClassSummary &summary) {
    if (lexer_.cur().kind == TK_DEF) {
      summary.methods.insert(skipFunction());
      return;
    }
    if (lexer_.cur().kind != TK_IDENT)
      throw UnexpectedShape();
    ClassAssign assign;
    int after = lexer_.lookahead().kind;
    if (after == ':' || after == '=') {
      Token name = lexer_.next();
      assign.range = name.range;
      assign.name = name.text();
    } else {
      Expr target = parser_.parseExp(); // `__annotations__["x"]`
      if (lexer_.nextIf(TK_NEWLINE))
        return; // an expression on its own
      assign.range = target.range();
    }
    if (lexer_.nextIf(':')) {
      skipExpression(); // the type: only its presence is checked
      assign.typed = true;
    }
    if (lexer_.nextIf('=')) {
      assign.valued = true;
      if (assign.name && (*assign.name == "__forward_hooks__" ||
                          *assign.name == "__forward_pre_hooks__"))
        assign.strings = stringList(parser_.parseExp());
      else
        skipExpression();
    } else if (!assign.typed) {
      throw UnexpectedShape(); // a tuple target or an augmented assignment
    }
    expect(TK_NEWLINE); // not a chain `a = b = c`
    summary.assigns.push_back(std::move(assign));
  }

  /// Skips the tokens of an expression, up to an `=` or the end of the line
  /// outside brackets; there must be one.
  void skipExpression() {
    int depth = 0, tokens = 0;
    for (;; ++tokens) {
      int kind = lexer_.cur().kind;
      if (kind == TK_EOF || (depth == 0 && (kind == '=' || kind == TK_NEWLINE)))
        break;
      if (kind == '(' || kind == '[' || kind == '{')
        ++depth;
      else if (kind == ')' || kind == ']' || kind == '}')
        --depth;
      lexer_.next();
    }
    if (tokens == 0 || depth != 0)
      throw UnexpectedShape();
  }

  /// Skips `def NAME(...) -> T:` and its indented body; the lexer emits no
  /// NEWLINE or INDENT inside brackets. Returns NAME.
  std::string skipFunction() {
    expect(TK_DEF);
    if (lexer_.cur().kind != TK_IDENT)
      throw UnexpectedShape();
    std::string name = lexer_.next().text();
    while (lexer_.cur().kind != TK_INDENT) {
      int kind = lexer_.next().kind;
      if (kind == TK_NEWLINE || kind == TK_EOF)
        throw UnexpectedShape(); // a one-line function
    }
    for (int depth = 0;;) {
      int kind = lexer_.next().kind;
      if (kind == TK_INDENT)
        ++depth;
      else if (kind == TK_DEDENT && --depth == 0)
        return name;
      else if (kind == TK_EOF)
        throw UnexpectedShape();
    }
  }

  Parser &parser_;
  Lexer &lexer_;
};

/// The classes of `source` by the scan, or false where it stopped.
bool scanClasses(const std::shared_ptr<Source> &source,
                 std::vector<ClassSummary> &classes) {
  try {
    Parser parser(source);
    classes = ClassScanner(parser).scan();
    return true;
  } catch (const UnexpectedShape &) {
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
  }
  return false;
}

/// The classes of `source` by LibTorch's parser, as far as it parses.
std::vector<ClassSummary> parseClasses(const std::shared_ptr<Source> &source) {
  std::vector<ClassSummary> classes;
  try {
    Parser parser(source);
    Lexer &lexer = parser.lexer();
    while (lexer.cur().kind != TK_EOF) {
      Token &token = lexer.cur();
      if (token.kind == TK_IMPORT ||
          (token.kind == TK_IDENT && token.text() == "op_version_set")) {
        skipLine(lexer);
      } else if (token.kind == TK_CLASS_DEF) {
        classes.push_back(summarize(ClassDef(parser.parseClass())));
      } else if (token.kind == TK_DEF) {
        parser.parseFunction(/*is_method=*/false);
      } else {
        break; // the importer rejects it
      }
    }
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    // Source that does not parse: torch::jit::load reports it (only if it
    // needs this record, as it parses records on demand).
  }
  return classes;
}

[[noreturn]] void corruptDebugInfo(const std::string &recordName,
                                   const std::string &what) {
  conversionError(recordName + ": corrupt debug information (" + what + ")");
}

/// The checks of checkArchiveDebugInfo, on the unpickled record.
void checkDebugInfo(const std::string &recordName, const c10::IValue &value) {
  if (!value.isTuple())
    corruptDebugInfo(recordName, "not a tuple");
  const auto &top = value.toTupleRef().elements();
  // Either (FORMAT_WITH_STRING_TABLE, (texts...), (records...)) or the
  // records themselves, each source then holding its own text.
  std::vector<std::string> table;
  const c10::IValue *records = &value;
  bool withTable = !top.empty() && top[0].isString() &&
                   top[0].toStringRef() == std::string(kFormatWithStringTable);
  if (withTable) {
    if (top.size() != 3 || !top[1].isTuple() || !top[2].isTuple())
      corruptDebugInfo(recordName, "a string-table header that is not (format, texts, records)");
    for (const c10::IValue &text : top[1].toTupleRef().elements()) {
      if (!text.isString())
        corruptDebugInfo(recordName, "a string table entry that is not a string");
      table.push_back(text.toStringRef());
    }
    records = &top[2];
  }
  auto index = [&](const c10::IValue &value) -> const std::string & {
    if (!value.isInt() || value.toInt() < 0 ||
        static_cast<uint64_t>(value.toInt()) >= table.size())
      corruptDebugInfo(recordName, "a string table index out of range");
    return table[static_cast<size_t>(value.toInt())];
  };
  for (const c10::IValue &record : records->toTupleRef().elements()) {
    // (byte offset, (source, start, end)[, tag])
    if (!record.isTuple() || record.toTupleRef().elements().size() < 2)
      corruptDebugInfo(recordName, "a record that is not (offset, range, ...)");
    const auto &fields = record.toTupleRef().elements();
    if (!fields[kByteOffsetIndex].isInt() ||
        !fields[kSourceRangeIndex].isTuple() ||
        fields[kSourceRangeIndex].toTupleRef().elements().size() != 3)
      corruptDebugInfo(recordName, "a record that is not (offset, range, ...)");
    const auto &range = fields[kSourceRangeIndex].toTupleRef().elements();
    if (!range[0].isTuple() || range[0].toTupleRef().elements().size() != 3 ||
        !range[1].isInt() || !range[2].isInt())
      corruptDebugInfo(recordName, "a range that is not (source, start, end)");
    // LibTorch checks a range against its text itself; the indices into
    // the string table it does not check.
    const auto &source = range[0].toTupleRef().elements();
    if (withTable) {
      if (!source[0].isIntList() || !source[2].isInt())
        corruptDebugInfo(recordName, "a source that is not (lines, file, line)");
      for (int64_t line : source[0].toIntVector())
        index(c10::IValue(line));
      index(source[1]);
    } else if (!source[0].isString() ||
               !(source[1].isNone() || source[1].isString()) ||
               !source[2].isInt()) {
      corruptDebugInfo(recordName, "a source that is not (text, file, line)");
    }
  }
}

} // namespace

void checkArchiveDebugInfo(const std::string &recordName,
                           const std::string &bytes) {
  c10::IValue value;
  try {
    value = torch::jit::unpickle(bytes.data(), bytes.size());
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    corruptDebugInfo(recordName, firstMessageLine(e.what()));
  }
  checkDebugInfo(recordName, value);
}

bool isArchiveSource(const std::string &recordName) {
  return recordName.rfind("code/", 0) == 0 && recordName.size() > 3 &&
         recordName.compare(recordName.size() - 3, 3, ".py") == 0;
}

void checkArchiveSource(const std::string &recordName, const std::string &text) {
  auto source = std::make_shared<Source>(text, recordName, 1);
  std::vector<ClassSummary> classes;
  if (!scanClasses(source, classes))
    classes = parseClasses(source);
  for (const ClassSummary &summary : classes)
    checkClass(summary);
}

} // namespace s2t
