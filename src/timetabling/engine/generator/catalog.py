"""Names of schools and departments for the synthetic university, and the codes derived from them."""

from __future__ import annotations

SCHOOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Engineering", (
        "Computer Science and Engineering", "Electrical Engineering", "Mechanical Engineering",
        "Civil Engineering", "Chemical Engineering", "Electronics and Communication",
        "Aerospace Engineering", "Metallurgical Engineering", "Biomedical Engineering",
        "Industrial Engineering", "Environmental Engineering",
    )),
    ("Physical Sciences", (
        "Physics", "Chemistry", "Mathematics", "Statistics", "Geology", "Astronomy",
        "Materials Science", "Earth Sciences", "Applied Mathematics",
    )),
    ("Life Sciences", (
        "Botany", "Zoology", "Microbiology", "Biochemistry", "Biotechnology", "Genetics",
        "Ecology", "Marine Biology", "Neuroscience",
    )),
    ("Humanities", (
        "English", "Hindi", "Sanskrit", "History", "Philosophy", "Linguistics", "Tamil",
        "Bengali", "Urdu", "French Studies",
    )),
    ("Social Sciences", (
        "Economics", "Political Science", "Sociology", "Psychology", "Geography",
        "Anthropology", "Public Administration", "Social Work", "International Relations",
    )),
    ("Management", (
        "Business Administration", "Finance", "Marketing", "Human Resource Management",
        "Operations Management", "Hospitality Management", "Tourism Studies", "Entrepreneurship",
        "Business Analytics",
    )),
    ("Commerce", (
        "Accounting", "Banking and Insurance", "Taxation", "Commerce", "International Business",
        "Cost Accounting", "Financial Markets", "E-Commerce",
    )),
    ("Law", (
        "Constitutional Law", "Corporate Law", "Criminal Law", "International Law",
        "Intellectual Property Law", "Environmental Law", "Labour Law", "Legal Studies",
    )),
    ("Health Sciences", (
        "Anatomy", "Physiology", "Pharmacology", "Nursing", "Public Health", "Physiotherapy",
        "Nutrition and Dietetics", "Medical Laboratory Technology", "Optometry", "Pharmacy",
    )),
    ("Agriculture", (
        "Agronomy", "Horticulture", "Soil Science", "Plant Pathology", "Entomology",
        "Agricultural Engineering", "Animal Husbandry", "Food Technology", "Forestry",
    )),
    ("Architecture and Design", (
        "Architecture", "Urban Planning", "Interior Design", "Fashion Design",
        "Product Design", "Communication Design", "Landscape Architecture", "Textile Design",
    )),
    ("Education", (
        "Teacher Education", "Educational Technology", "Physical Education", "Special Education",
        "Adult Education", "Library and Information Science", "Educational Psychology",
        "Curriculum Studies",
    )),
    ("Arts and Media", (
        "Fine Arts", "Music", "Dance", "Theatre", "Journalism", "Film Studies",
        "Mass Communication", "Visual Arts", "Photography",
    )),
    ("Computing", (
        "Information Technology", "Data Science", "Artificial Intelligence", "Cyber Security",
        "Computer Applications", "Software Engineering", "Cloud Computing", "Robotics",
        "Computational Biology",
    )),
)

_MINOR_WORDS = {"and", "of", "the"}


def code_for(name: str, taken: set[str]) -> str:
    """A short upper-case code (``Computer Science and Engineering`` -> ``CSE``), unique within ``taken``."""
    words = [w for w in name.replace("-", " ").split() if w.lower() not in _MINOR_WORDS]
    base = "".join(w[0] for w in words).upper() if len(words) > 1 else words[0][:3].upper()
    code, n = base, 2
    while code in taken:
        code, n = f"{base}{n}", n + 1
    taken.add(code)
    return code


def school_code(name: str, taken: set[str]) -> str:
    return "S" + code_for(name, taken)
