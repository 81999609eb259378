"""French wording of the demo: customers' messages, timeline bodies, notes and action titles."""

from __future__ import annotations

SOURCE_LABELS = {
    "website": "site web Garage du Parc",
    "lacentrale": "La Centrale",
    "leboncoin": "Leboncoin",
    "autoscout24": "AutoScout24",
    "peugeot.fr": "peugeot.fr",
    "renault.fr": "renault.fr",
    "call_center": "centre d'appels",
    "showroom": "showroom",
    "phone": "téléphone",
    "salon": "salon auto",
}

RECEIVED_BODIES = {
    "widget": "Demande reçue depuis le formulaire du site web",
    "api": "Demande reçue de {source} (API)",
    "adf": "Demande ADF reçue de {source}",
    "email": "E-mail de {source} reçu sur la boîte des leads",
    "call_center": "Demande saisie par le centre d'appels",
    "showroom": "Client reçu en concession, demande saisie au showroom",
    "phone": "Demande saisie après un appel entrant",
    "salon": "Contact pris sur le stand du salon de l'auto de Lyon",
}

STAGE_LABELS = {
    "new": "Nouveau",
    "contacted": "Contacté",
    "appointment": "Rendez-vous",
    "presentation": "Présentation",
    "test_drive": "Essai",
    "offer": "Offre",
    "order": "Commande",
    "abandoned": "Abandon",
}

CLOSE_LABELS = {
    "bought_elsewhere": "a acheté ailleurs",
    "postponed": "projet reporté",
    "unreachable": "client injoignable",
    "financing_refused": "financement refusé",
    "other": "autre raison",
}

CLOSE_NOTES = {
    "bought_elsewhere": (
        "A signé chez un concurrent, remise plus importante.",
        "A trouvé le même modèle moins cher sur un autre site.",
        "Commande passée chez un mandataire.",
    ),
    "postponed": (
        "Projet repoussé à l'année prochaine.",
        "Attend la prime à la conversion, à relancer dans 3 mois.",
        "Préfère garder son véhicule actuel pour le moment.",
    ),
    "unreachable": (
        "Trois appels sans réponse, SMS et e-mail restés sans suite.",
        "Numéro erroné, pas d'e-mail.",
    ),
    "financing_refused": (
        "Dossier de LOA refusé par l'organisme de financement.",
        "Crédit refusé, apport insuffisant.",
    ),
    "other": (
        "Le client ne souhaite plus être recontacté.",
        "Doublon d'une demande déjà traitée par téléphone.",
    ),
}

MESSAGES = {
    "VN": (
        "Bonjour, je souhaiterais un devis pour une {model} {version}.",
        "Quel est le délai de livraison pour une {model} ? Merci.",
        "Je voudrais essayer la {model} un samedi matin si possible.",
        "Avez-vous des offres de LOA sur la {model} en ce moment ?",
        "Bonjour, pouvez-vous me rappeler au sujet de la {model} ? Je suis disponible après 18h.",
        "Je compare la {model} avec un autre modèle, pouvez-vous m'envoyer une offre détaillée ?",
    ),
    "VO": (
        "Bonjour, le véhicule {ref} est-il toujours disponible ?",
        "Disponible pour un essai samedi ?",
        "Quel est votre meilleur prix pour la {model} ? Paiement comptant.",
        "La {model} a-t-elle son carnet d'entretien à jour ? Combien de propriétaires ?",
        "Bonjour, je suis intéressé par la {make} {model}. Est-elle encore sous garantie ?",
        "Pouvez-vous me faire une proposition de financement sur 48 mois ?",
    ),
    "ATELIER": (
        "Bonjour, je souhaite prendre rendez-vous pour : {service}.",
        "Voyant moteur allumé depuis hier, pouvez-vous me prendre rapidement ?",
        "Je voudrais un devis pour : {service}. Véhicule disponible en semaine.",
        "Bonjour, c'est pour la {model} immatriculée {plate}, {service}.",
    ),
}
TRADE_IN_SENTENCE = " J'ai une {make} {model} de {year} à faire reprendre."

FIRST_CALL = {
    "VN": (
        "Client joint, projet confirmé, envoi d'une première offre par e-mail.",
        "Client joint : souhaite une offre avec reprise, rendez-vous à fixer.",
    ),
    "VO": (
        "Client joint : véhicule toujours disponible, il souhaite venir l'essayer.",
        "Client joint, questions sur l'historique d'entretien, envoi des photos complémentaires.",
    ),
    "ATELIER": ("Client joint, créneau atelier proposé.", "Client joint, devis envoyé par e-mail."),
}
MISSED_CALL = ("Appel sans réponse.", "Messagerie : message laissé, rappel prévu.", "Ligne occupée.")

NOTES = (
    "Client très intéressé, décision attendue cette semaine.",
    "Souhaite une remise sur les accessoires (tapis, attelage).",
    "Compare avec une offre concurrente, envoyer une contre-proposition.",
    "Reprise estimée à confirmer après inspection du véhicule.",
    "Préfère être contacté par SMS pendant la journée.",
    "Conjointe à associer au prochain rendez-vous.",
    "Demande un essai de la version hybride.",
    "Financement : simulation LOA 37 mois envoyée.",
)

WON_BODIES = {
    "VN": "Affaire gagnée : bon de commande signé",
    "VO": "Affaire gagnée : véhicule vendu, bon de commande signé",
    "ATELIER": "Rendez-vous atelier honoré, ordre de réparation ouvert",
}

# Action titles by type; `{model}` is the vehicle of interest.
ACTION_TITLES = {
    "call": ("Rappeler le client", "Premier appel", "Relance téléphonique"),
    "email": (
        "Envoyer l'offre par e-mail",
        "Envoyer la fiche du véhicule",
        "Envoyer la simulation de financement",
    ),
    "sms": ("Confirmer le rendez-vous par SMS", "SMS de relance"),
    "appointment": ("Rendez-vous en concession", "Présentation du véhicule", "Rendez-vous atelier"),
    "test_drive": ("Confirmer l'essai", "Essai {model}"),
    "follow_up": ("Relancer après l'offre", "Relance devis", "Faire le point sur le projet"),
    "task": (
        "Préparer l'offre de reprise",
        "Vérifier la disponibilité du véhicule",
        "Préparer le bon de commande",
    ),
}
