"""Files to packages and tests to packages, on file lists of typical layouts."""

from __future__ import annotations

import pytest

from lanewarden.domain.packages import Package, PackageMap, detect_packages


def names(packages: PackageMap) -> dict[str, str]:
    return {p.name: p.root for p in packages.packages}


def owner_names(found: list[Package]) -> list[str]:
    return sorted(p.name for p in found)


def test_src_layout() -> None:
    packages = detect_packages(
        ["pyproject.toml", "src/shop/__init__.py", "src/shop/cart/__init__.py", "tests/test_x.py"]
    )
    assert names(packages) == {"shop": "src/shop"}
    assert packages.module_name("src/shop/cart/__init__.py") == "shop.cart"
    assert packages.module_name("src/shop/cart/item.py") == "shop.cart.item"
    assert packages.module_name("src/shop/data.json") is None


def test_flat_layout_skips_test_and_hidden_folders() -> None:
    packages = detect_packages(
        [
            "shop/__init__.py",
            "shop/cart.py",
            "tests/__init__.py",
            "tests/helpers/__init__.py",
            ".tox/x/__init__.py",
        ]
    )
    assert names(packages) == {"shop": "shop"}
    assert packages.module_name("shop/cart.py") == "shop.cart"


def test_monorepo_of_distributions_owns_their_other_files() -> None:
    packages = detect_packages(
        [
            "packages/alpha/pyproject.toml",
            "packages/alpha/src/alpha/__init__.py",
            "packages/alpha/tests/test_a.py",
            "packages/beta-tools/pyproject.toml",
            "packages/beta-tools/beta/__init__.py",
            "packages/beta-tools/tests/test_b.py",
        ]
    )
    assert names(packages) == {
        "alpha": "packages/alpha/src/alpha",
        "beta": "packages/beta-tools/beta",
    }
    assert owner_names(packages.owners("packages/alpha/tests/test_a.py")) == ["alpha"]
    assert owner_names(packages.owners("packages/beta-tools/pyproject.toml")) == ["beta"]
    assert owner_names(packages.test_owners("tests/test_beta_tools.py")) == ["beta"]
    assert packages.owners("README.md") == []


def test_nested_subpackages_with_their_own_tests() -> None:
    packages = detect_packages(
        [
            "lib/__init__.py",
            "lib/core.py",
            "lib/sub1/__init__.py",
            "lib/sub1/tests/test_one.py",
            "lib/sub1/deep/__init__.py",
            "lib/sub2/__init__.py",
        ]
    )
    assert names(packages) == {"lib": "lib", "lib.sub1": "lib/sub1"}
    assert owner_names(packages.owners("lib/sub1/deep/x.py")) == ["lib.sub1"]
    assert owner_names(packages.owners("lib/sub2/x.py")) == ["lib"]
    assert owner_names(packages.test_owners("lib/sub1/tests/test_one.py")) == ["lib.sub1"]


def test_configured_roots_replace_detection() -> None:
    packages = detect_packages(
        ["libs/one/__init__.py", "libs/two/mod.py", "tools/x/__init__.py"], configured=("libs/*",)
    )
    assert names(packages) == {"one": "libs/one", "two": "libs/two"}


def test_configured_roots_with_double_star() -> None:
    packages = detect_packages(
        ["a/b/src/p/__init__.py", "c/src/q/__init__.py"], configured=("**/src/*",)
    )
    assert names(packages) == {"p": "a/b/src/p", "q": "c/src/q"}


@pytest.fixture
def shop() -> PackageMap:
    return detect_packages(
        [
            "src/shop/__init__.py",
            "src/shop_admin/__init__.py",
            "src/billing/__init__.py",
            "src/billing/invoices/__init__.py",
            "src/billing/invoices/tests/test_inv.py",
        ],
        package_tests={"billing": ("tests/legacy/",)},
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/shop/test_cart.py", ["shop"]),
        ("tests/shop_admin/test_users.py", ["shop_admin"]),
        ("tests/test_shop.py", ["shop"]),
        ("tests/test_shop_cart.py", ["shop"]),
        ("tests/test_shop_admin_users.py", ["shop_admin"]),
        ("tests/unit/test_billing.py", ["billing"]),
        ("tests/billing/invoices/test_x.py", ["billing.invoices"]),
        ("tests/invoices/test_x.py", ["billing.invoices"]),
        ("tests/test_billing_invoices.py", ["billing.invoices"]),
        ("src/billing/invoices/tests/test_inv.py", ["billing.invoices"]),
        ("tests/legacy/test_old.py", ["billing"]),
        ("tests/test_unrelated.py", []),
        ("tests/shopping/test_x.py", []),
    ],
)
def test_tests_to_packages(shop: PackageMap, path: str, expected: list[str]) -> None:
    assert owner_names(shop.test_owners(path)) == expected


def test_tests_naming_no_package_belong_to_the_one_top_level_package() -> None:
    packages = detect_packages(
        ["src/app/__init__.py", "src/app/db/__init__.py", "src/app/db/tests/t.py"]
    )
    assert owner_names(packages.test_owners("tests/test_cli.py")) == ["app"]


def test_is_test_path() -> None:
    packages = PackageMap(())
    assert packages.is_test_path("tests/data/x.json")
    assert packages.is_test_path("pkg/test_x.py")
    assert packages.is_test_path("pkg/x_test.py")
    assert packages.is_test_path("pkg/conftest.py")
    assert not packages.is_test_path("pkg/contest.py")


def test_json_round_trip(shop: PackageMap) -> None:
    again = PackageMap.from_json(shop.to_json())
    assert again.packages == shop.packages
    assert owner_names(again.test_owners("tests/legacy/test_old.py")) == ["billing"]
    assert again.names == ["billing", "billing.invoices", "shop", "shop_admin"]


def test_module_names_skip_non_identifiers() -> None:
    package = Package("pkg", "src/pkg", None, "src")
    assert package.module_name("src/pkg/my-script.py") is None
    assert package.module_name("src/pkgx/a.py") is None
    assert package.aliases == ("pkg",)


def test_a_configured_wildcard_does_not_make_test_folders_packages() -> None:
    files = [
        "lib/__init__.py",
        "lib/algorithms/__init__.py",
        "lib/algorithms/flow/__init__.py",
        "lib/algorithms/flow/tests/test_flow.py",
        "lib/algorithms/tests/__init__.py",
        "lib/algorithms/tests/test_cycles.py",
        "lib/algorithms/test/test_old.py",
        "lib/algorithms/testing/helpers.py",
        "lib/algorithms/.hidden/x.py",
        "lib/algorithms/__pycache__/x.cpython-311.pyc",
    ]
    packages = detect_packages(files, configured=("lib", "lib/algorithms/*", "**/flow/*"))
    assert names(packages) == {
        "lib": "lib",
        "lib.algorithms.flow": "lib/algorithms/flow",
    }
    # The tests there belong to the package around them, not to a package of their own.
    assert owner_names(packages.test_owners("lib/algorithms/tests/test_cycles.py")) == ["lib"]
    assert owner_names(packages.test_owners("lib/algorithms/flow/tests/test_flow.py")) == [
        "lib.algorithms.flow"
    ]


def test_a_glob_that_names_a_test_folder_still_gets_it() -> None:
    packages = detect_packages(
        ["tools/testing/fixtures/__init__.py", "tools/testing/more/x.py"],
        configured=("tools/testing/*",),
    )
    assert names(packages) == {"fixtures": "tools/testing/fixtures", "more": "tools/testing/more"}
