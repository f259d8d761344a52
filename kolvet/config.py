"""Every weight, tier, window and threshold kolvet uses, as frozen pydantic models.

Stages receive a `Config`; no stage holds a magic number of its own. `kolvet init-config`
writes these defaults, with each field's description as a comment, to `kolvet.toml`.
Figures come from ../shared/docs/domain.md (practitioner sources, none official): they are
documented defaults to override, not truths.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kolvet.errors import KolvetError, UsageError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(_Frozen):
    """How much one interaction of each kind is worth, relative to a like."""

    likes: float = Field(1.0, ge=0, description="weight of a like (点赞)")
    saves: float = Field(4.0, ge=0, description="weight of a save (收藏)")
    comments: float = Field(2.5, ge=0, description="weight of a comment (评论)")
    shares: float = Field(4.0, ge=0, description="weight of a share (分享)")
    follows: float = Field(0.0, ge=0, description="weight of a follow won by a note (marketplace data only)")

    @model_validator(mode="after")
    def _something_counts(self) -> Weights:
        if not (self.likes or self.saves or self.comments or self.shares):
            raise ValueError("likes, saves, comments and shares all weigh 0: weighted engagement would be 0 for everyone")
        return self


DEFAULT_PRESETS: dict[str, Weights] = {
    # Seeds: saves carry 3-5x a like, comments 2-3x, shares about as much as saves.
    "save-first": Weights(likes=1, saves=4, comments=2.5, shares=4, follows=0),
    # Community lore ("CES"), never officially published.
    "ces": Weights(likes=1, saves=1, comments=4, shares=4, follows=8),
}

DEFAULT_TIERS: dict[str, int] = {
    "nano": 0,
    "micro": 10_000,
    "mid": 100_000,
    "macro": 500_000,
    "mega": 1_000_000,
}


class CategoryBenchmark(_Frozen):
    """Engagement rate per view, in percent, for a category (seed: xhs-engagement-metrics-explained)."""

    average_low: float = Field(ge=0, description="low end of the average engagement rate, %")
    average_high: float = Field(ge=0, description="high end of the average engagement rate, %")
    top_low: float = Field(ge=0, description="where top performers start, %")
    top_high: float = Field(ge=0, description="high end of top performers, %")
    aliases: tuple[str, ...] = Field((), description="other names of this category in input data")

    @model_validator(mode="after")
    def _ordered(self) -> CategoryBenchmark:
        if not (self.average_low <= self.average_high <= self.top_high and self.top_low <= self.top_high):
            raise ValueError("expected average_low <= average_high <= top_high and top_low <= top_high")
        return self


DEFAULT_BENCHMARKS: dict[str, CategoryBenchmark] = {
    "beauty": CategoryBenchmark(average_low=6, average_high=10, top_low=15, top_high=25,
                                aliases=("美妆", "护肤", "skincare", "makeup", "美妆护肤")),
    "fashion": CategoryBenchmark(average_low=5, average_high=8, top_low=12, top_high=18,
                                 aliases=("时尚", "穿搭", "服饰", "accessories")),
    "food": CategoryBenchmark(average_low=4, average_high=7, top_low=10, top_high=15,
                              aliases=("美食", "餐饮", "探店", "beverage", "food & beverage")),
    "mother_baby": CategoryBenchmark(average_low=7, average_high=12, top_low=15, top_high=30,
                                     aliases=("母婴", "mother & baby", "mother and baby", "baby", "parenting")),
    "travel": CategoryBenchmark(average_low=4, average_high=6, top_low=10, top_high=14,
                                aliases=("旅行", "旅游", "lifestyle", "生活", "travel & lifestyle")),
    "luxury": CategoryBenchmark(average_low=3, average_high=5, top_low=8, top_high=12,
                                aliases=("奢侈品", "奢品")),
}


class WindowConfig(_Frozen):
    days: int = Field(90, ge=1, description="judge each creator on notes from the last N days before the as-of date")
    min_recent_posts: int = Field(10, ge=1, description="...but on at least its N most recent notes when the window holds fewer")


class ScoringConfig(_Frozen):
    min_posts: int = Field(5, ge=1, description="creators with fewer notes than this get verdict insufficient_data")
    hit_multiple: float = Field(3.0, gt=1, description="a hit note (爆文) has engagement >= this multiple of the creator's own median")
    steepness: float = Field(2.0, gt=0, description="how fast a component moves from 50 (as expected) toward 0 or 100; 2.0 puts 2x expected at 80")
    save_quality: float = Field(0.35, ge=0, description="share of the score from save rate against creators of the same size and category")
    engagement_quality: float = Field(0.35, ge=0, description="share of the score from weighted engagement against creators of the same size and category")
    comment_depth: float = Field(0.15, ge=0, description="share of the score from comments per like (评赞比) against category peers")
    consistency: float = Field(0.15, ge=0, description="share of the score from steady performance across notes")
    max_fraud_penalty: float = Field(40.0, ge=0, le=100, description="points a flagged creator loses at fraud_score 1.0; half of it at the flag line (0.5); unflagged creators lose none")
    watch_penalty: float = Field(10.0, ge=0, le=100, description="points a creator on fraud watch loses at most (rising from 0 at fraud.watch_score to this just under the flag line)")
    size_slope_prior: float = Field(-0.3, description="log-log slope of engagement per follower against followers, used when the cohort is too small to fit one")
    category_weight: float = Field(0.0, ge=0, le=1, description="how far the size expectation follows each category's own level: 0 = one curve for all categories, so the score is value per view for its size (categories earn different engagement per view: beauty 6-10%, luxury 3-5%); 1 = judged only against its own category. Category peers always give peer_percentile and benchmark")
    min_fit_creators: int = Field(30, ge=3, description="creators needed to fit the size curve on the cohort instead of using the prior")
    shrinkage_max_prior_posts: float = Field(20.0, gt=0, description="cap on the prior's weight, in notes, when shrinking small samples toward their category")

    @model_validator(mode="after")
    def _some_weight(self) -> ScoringConfig:
        if self.save_quality + self.engagement_quality + self.comment_depth + self.consistency <= 0:
            raise ValueError("at least one score component needs a positive weight")
        return self


class VerdictConfig(_Frozen):
    shortlist_min_score: float = Field(60.0, ge=0, le=100, description="score needed for verdict shortlist")
    review_min_score: float = Field(40.0, ge=0, le=100, description="score needed for verdict review; below it, reject")
    reject_fraud_score: float = Field(0.75, ge=0, le=1, description="a flagged creator with fraud_score at or above this is rejected, not reviewed")


class FraudConfig(_Frozen):
    contamination: float = Field(0.08, gt=0, lt=0.5, description="share of the cohort the isolation forest treats as outliers")
    n_estimators: int = Field(100, ge=10, description="trees in the isolation forest")
    max_samples: int = Field(256, ge=16, description="creators drawn to grow each tree")
    fit_sample: int = Field(20_000, ge=100, description="at most this many creators are used to fit the forest (all are scored, in batches)")
    random_state: int = Field(0, description="seed: the same input gives the same flags")
    min_cohort: int = Field(30, ge=5, description="below this many judged creators, fall back to peer checks against built-in benchmarks")
    min_posts: int = Field(5, ge=2, description="creators with fewer notes are not judged for fraud")
    min_interactions: int = Field(20, ge=0, description="creators whose judged notes earned fewer interactions in all are not judged for fraud: ratios of a handful of likes mean nothing")
    pattern_z: float = Field(2.75, gt=0, description="a fake-engagement pattern is confirmed when its combined evidence reaches this many robust deviations from peers")
    reason_z: float = Field(2.0, gt=0, description="a feature is named as a reason when it is this many robust deviations from peers, on its suspicious side (a confirmed pattern's own signs: from the weakest level that confirms it, about 1.6 at the default pattern_z, 1.0 for bought followers)")
    note_z: float = Field(3.0, gt=0, description="a note looks boosted when its ratios sit this many robust deviations from the creator's own")
    watch_score: float = Field(0.4, gt=0, lt=0.5, description="an unflagged creator at or above this fraud score, with checkable reasons, is put on watch (a smaller penalty, reasons shown)")
    reasons_shown: int = Field(3, ge=1, le=10, description="reasons written per flagged creator")


class InputConfig(_Frozen):
    aliases: dict[str, list[str]] = Field(
        default_factory=dict,
        description="extra column names per canonical column, e.g. likes = [\"赞\", \"like_total\"]",
    )
    encoding: str | None = Field(None, description="force a text encoding (utf-8, gbk, gb18030); default: detect")
    sheet: str | None = Field(None, description="sheet of the notes workbooks to read (a name, or its number from 1); default: the first")
    creators_sheet: str | None = Field(None, description="sheet of the --creators workbook to read; default: the first")


class Config(_Frozen):
    preset: str = Field("save-first", description="weight preset: save-first or ces, or one defined under [presets]")
    presets: dict[str, Weights] = Field(default_factory=lambda: dict(DEFAULT_PRESETS), description="weights per preset")
    tiers: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_TIERS), description="follower tiers: name = lowest follower count")
    window: WindowConfig = WindowConfig()
    scoring: ScoringConfig = ScoringConfig()
    verdict: VerdictConfig = VerdictConfig()
    fraud: FraudConfig = FraudConfig()
    benchmarks: dict[str, CategoryBenchmark] = Field(default_factory=lambda: dict(DEFAULT_BENCHMARKS), description="engagement-rate benchmarks per category")
    input: InputConfig = InputConfig()

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.preset not in self.presets:
            raise ValueError(f"preset {self.preset!r} is not one of {sorted(self.presets)}")
        values = list(self.tiers.values())
        if not values or values[0] != 0 or values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("tiers must start at 0 and rise strictly, e.g. nano = 0, micro = 10000")
        if self.verdict.review_min_score > self.verdict.shortlist_min_score:
            raise ValueError("verdict.review_min_score must not exceed verdict.shortlist_min_score")
        return self

    @property
    def weights(self) -> Weights:
        return self.presets[self.preset]

    def with_preset(self, preset: str | None) -> Config:
        if preset is None or preset == self.preset:
            return self
        return _validated(self.model_dump() | {"preset": preset}, "--preset")


def _validated(data: dict[str, Any], source: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        raise KolvetError(f"{source}: {where}: {err['msg']}") from None


def load_config(path: str | Path | None = None, preset: str | None = None) -> Config:
    """Defaults, overridden by a kolvet.toml (merged section by section), then by --preset."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KolvetError(f"{p}: config file not found") from None
        except IsADirectoryError:
            raise KolvetError(f"{p}: is a folder, not a config file") from None
        except OSError as exc:
            raise KolvetError(f"{p}: can't read the config file ({exc.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KolvetError(f"{p}: not valid TOML ({exc})") from None
        # Dict-valued sections extend the defaults rather than replace them.
        for key, default in (("presets", DEFAULT_PRESETS), ("benchmarks", DEFAULT_BENCHMARKS)):
            if isinstance(data.get(key), dict):
                merged = {k: v.model_dump() for k, v in default.items()}
                for name, value in data[key].items():
                    merged[name] = (merged.get(name, {}) | value) if isinstance(value, dict) else value
                data[key] = merged
    if preset is not None:
        # The config's own preset may be the very thing --preset corrects: leave it out here.
        known = _validated({k: v for k, v in data.items() if k != "preset"}, str(path) if path else "config").presets
        if preset not in known:  # a mistyped option: a usage error, like any other
            raise UsageError(f"--preset {preset}: use one of {', '.join(sorted(known))}")
        data["preset"] = preset
    return _validated(data, str(path) if path else "--preset")


# ---- kolvet init-config -------------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() else _toml_value(name)


def _section(lines: list[str], title: str, model: BaseModel) -> None:
    lines.append(f"\n[{title}]")
    for name, field in type(model).model_fields.items():
        if field.description:
            lines.append(f"# {field.description}")
        value = getattr(model, name)
        lines.append(f"{_key(name)} = {_toml_value(value.model_dump() if isinstance(value, BaseModel) else value)}")


def default_config_toml() -> str:
    """The commented kolvet.toml that `kolvet init-config` writes: every default, explained."""
    cfg = Config()
    lines = [
        "# kolvet configuration. Every value below is the built-in default; delete what you don't change.",
        "# Practitioner figures (domain.md) are documented defaults, not official XHS numbers.",
        "",
        f"# {Config.model_fields['preset'].description}",
        f"preset = {_toml_value(cfg.preset)}",
        "",
        "# Follower tiers: name = lowest follower count of the tier (peers are compared within a tier).",
        "[tiers]",
    ]
    lines += [f"{_key(k)} = {v}" for k, v in cfg.tiers.items()]
    for name, weights in cfg.presets.items():
        _section(lines, f"presets.{_key(name)}", weights)
    _section(lines, "window", cfg.window)
    _section(lines, "scoring", cfg.scoring)
    _section(lines, "verdict", cfg.verdict)
    _section(lines, "fraud", cfg.fraud)
    lines.append("\n# Engagement rate per view (%) by category; add your own categories here.")
    for name, bench in cfg.benchmarks.items():
        _section(lines, f"benchmarks.{_key(name)}", bench)
    lines.append("\n[input]")
    for name, field in InputConfig.model_fields.items():
        if name == "aliases":
            continue  # a table of its own: last, below
        lines.append(f"# {field.description}")
        value = getattr(cfg.input, name)
        lines.append(f"{name} = {_toml_value(value)}" if value else f"# {name} = ...")
    lines.append(f"\n# {InputConfig.model_fields['aliases'].description}; uncomment both lines to use")
    if cfg.input.aliases:
        lines.append("[input.aliases]")
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in cfg.input.aliases.items()]
    else:
        lines += ["# [input.aliases]", '# likes = ["赞", "like_total"]']
    return "\n".join(lines) + "\n"
