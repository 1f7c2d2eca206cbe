"""The NHS DCB0129/DCB0160 risk matrix (domain.md §2), as plain data.

Migration 0002 loads it into every database; tests compare the stored matrix against it.
"""

NAME = "NHS DCB0129/DCB0160"
VERSION = "Implementation Guidance"
DESCRIPTION = (
    "The risk matrix of the DCB0129 and DCB0160 Implementation Guidance and the NHS hazard log template. "
    "The rating is looked up from severity and likelihood, never multiplied."
)

# (rank, name, definition); rank 1 is the least severe. Severity steps up with the number of patients.
SEVERITIES = [
    (
        1,
        "Minor",
        "Single patient: minor injury from which recovery is expected in the short term; minor psychological "
        "upset; inconvenience; any negligible consequence.",
    ),
    (
        2,
        "Significant",
        "Single patient: minor injury or injuries from which recovery is not expected in the short term; "
        "significant psychological trauma.\n"
        "Multiple patients: minor injury from which recovery is expected in the short term; minor psychological "
        "upset; inconvenience.",
    ),
    (
        3,
        "Considerable",
        "Single patient: severe injury or severe incapacity from which recovery is expected in the short term; "
        "severe psychological trauma.\n"
        "Multiple patients: minor injury or injuries from which recovery is not expected in the short term; "
        "significant psychological trauma.",
    ),
    (
        4,
        "Major",
        "Single patient: death; permanent life-changing incapacity, or any condition whose prognosis is death or "
        "permanent life-changing incapacity; severe injury or incapacity from which recovery is not expected in "
        "the short term.\n"
        "Multiple patients: severe injury or severe incapacity from which recovery is expected in the short term; "
        "severe psychological trauma.",
    ),
    (
        5,
        "Catastrophic",
        "Multiple patients: death; permanent life-changing incapacity, or any condition whose prognosis is death "
        "or permanent life-changing incapacity; severe injury or incapacity from which recovery is not expected "
        "in the short term.",
    ),
]

# (rank, name, definition); rank 1 is the least likely.
LIKELIHOODS = [
    (1, "Very low", "Negligible or nearly negligible possibility of occurring."),
    (2, "Low", "Could occur but in the great majority of occasions will not."),
    (3, "Medium", "Possible."),
    (4, "High", "Not certain but very possible; reasonably expected to occur in the majority of cases."),
    (5, "Very high", "Certain or almost certain; highly likely to occur."),
]

# (number, short label, acceptability, fill colour of the NHS template)
RATINGS = [
    (1, "Acceptable", "Acceptable, no further action required.", "#9EFEB5"),
    (
        2,
        "Tolerable",
        "Acceptable where cost of further reduction outweighs benefits gained or where further risk reduction "
        "is impractical.",
        "#FFFF66",
    ),
    (
        3,
        "Undesirable",
        "Undesirable level of risk; attempts should be made to eliminate the hazard or implement control "
        "measures to reduce risk to an acceptable level; acceptable only when further risk reduction is "
        "impractical.",
        "#FABF8F",
    ),
    (
        4,
        "Mandatory control",
        "Mandatory elimination of hazard or addition of control measure to reduce risk to an acceptable level.",
        "#D99594",
    ),
    (5, "Unacceptable", "Unacceptable level of risk.", "#E36C0A"),
]

# Rows by likelihood from Very high down to Very low; columns by severity from Minor to Catastrophic.
GRID = {
    "Very high": [3, 4, 4, 5, 5],
    "High": [2, 3, 3, 4, 5],
    "Medium": [2, 2, 3, 3, 4],
    "Low": [1, 2, 2, 3, 4],
    "Very low": [1, 1, 2, 2, 3],
}


def load(apps_or_models) -> object:
    """Create the matrix with the given model registry (migration `apps` or `hazardlog.models`)."""
    get = apps_or_models.get_model if hasattr(apps_or_models, "get_model") else None

    def model(name):
        return get("hazardlog", name) if get else getattr(apps_or_models, name)

    matrix = model("RiskMatrix").objects.create(name=NAME, version=VERSION, description=DESCRIPTION)
    severities = {
        name: model("SeverityLevel").objects.create(matrix=matrix, rank=rank, name=name, definition=text)
        for rank, name, text in SEVERITIES
    }
    likelihoods = {
        name: model("LikelihoodLevel").objects.create(matrix=matrix, rank=rank, name=name, definition=text)
        for rank, name, text in LIKELIHOODS
    }
    ratings = {
        number: model("RiskRating").objects.create(
            matrix=matrix, number=number, label=label, acceptability=text, colour=colour
        )
        for number, label, text, colour in RATINGS
    }
    severity_names = [name for _, name, _ in SEVERITIES]
    for likelihood, row in GRID.items():
        for severity, number in zip(severity_names, row, strict=True):
            model("RiskCell").objects.create(
                matrix=matrix, severity=severities[severity], likelihood=likelihoods[likelihood], rating=ratings[number]
            )
    return matrix
